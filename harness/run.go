// Package harness runs a suite's scenarios against a stack that is up and
// judges them: the one run loop behind `loadtest run`, capacity probes,
// the verdict-truth matrix and shards. It wires scenarios/ (the load) and
// reports/ (the aggregates and summaries) together; neither of those knows
// the other. Stacks and their providers are in harness/stack; what a run
// leaves on disk is harness/rundir's.
package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"loadharness"
	"loadharness/harness/stack"
	"loadharness/reports"
	"loadharness/reports/aggregate"
	"loadharness/scenarios"
	"loadharness/scenarios/suite"
)

// ErrInterrupted is wrapped by Run's error when ctx ended the run early;
// the result still holds whatever was measured.
var ErrInterrupted = errors.New("run interrupted")

// Result is what Run measured and judged.
type Result struct {
	// Summary holds the figures, the gates and the verdict.
	Summary reports.Summary
	// Aggregate is every result folded per second, for the charts.
	Aggregate *aggregate.Aggregate
	// Target is the target's own metrics sampled during the run (with
	// WithTargetSamples); nil otherwise.
	Target []reports.TargetSample
	// Environment says where the run ran.
	Environment reports.Environment
	// Outcomes are the engine's own accounts, by scenario.
	Outcomes map[string]scenarios.Outcome
	// SetupRequests and SetupFailed count the setup results left out by
	// WithoutSetupResults, and how many of them failed.
	SetupRequests, SetupFailed int
}

// ReportInput is everything the sign-off report of r shows.
func (r Result) ReportInput() reports.ReportInput {
	return reports.ReportInput{Summary: r.Summary, Aggregate: r.Aggregate, Target: r.Target, Environment: r.Environment}
}

// Run runs the suite's scenarios one after the other on st, which is up
// (see Up), judges their gates with loadharness.Judge and returns what it
// measured. It writes no file and leaves the stack up: results reach the
// sinks given WithSink, and the caller decides what goes to disk. It
// returns an error only when the harness could not run (a sink failed, a
// scenario could not start) or ctx ended (ErrInterrupted); a failed gate or
// an abort is a verdict, not an error.
func Run(ctx context.Context, s *suite.Suite, st stack.Stack, opts ...Option) (Result, error) {
	cfg := newConfig(opts)
	// A sink that can no longer write (a full disk) stops the run: load
	// whose results cannot be kept is load for nothing.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	info := st.Info()
	res := Result{
		Summary: reports.Summary{
			Suite: s.Name, Stack: s.Stack, Started: time.Now(),
			Provider: info.Provider, Warnings: append([]string(nil), info.Warnings...),
		},
		Outcomes:    map[string]scenarios.Outcome{},
		Environment: environment(info),
	}
	res.Environment.SuiteDigest, res.Environment.ServiceVersion = s.Digest, cfg.serviceVersion
	// The sampler always reads the target's counters during a scenario
	// (their increase is taken per series, a killed instance's included);
	// it keeps samples for the charts only when asked to.
	every := cfg.sampleEvery
	if every <= 0 {
		every = DefaultSampleInterval
	}
	sampler := startTargetSampler(ctx, st, s.Stack.Workers, every, cfg.sampleEvery > 0)
	agg := aggregate.New(time.Now())
	for _, watch := range cfg.watchers {
		watch(agg)
	}
	// rec measures around events (recovery_time and the like); tap feeds a
	// scaling policy's p95 signal.
	rec, tap := aggregate.NewRecovery(agg), newLatencyTap()
	sink := loadharness.Sinks{agg, rec, tap}
	for _, next := range cfg.sinks {
		sink = append(sink, stopOnWriteError(next, stop))
	}
	if len(s.Secrets) > 0 {
		// Every result is redacted before any sink sees it: the raw file,
		// the aggregates and so every report hold no secret.
		sink = loadharness.Sinks{newRedacting(s.Secrets, sink)}
	}
	if s.TLS.InsecureSkipVerify {
		res.Summary.Warnings = append(res.Summary.Warnings,
			"tls.insecure_skip_verify: the target's certificate was not verified")
	}
	scrape := newScraper(s.Stack.Workers)
	targetDeltas := targetMeasurer{}
	// With a Prometheus, the target's counters the gates read come from it:
	// it scrapes every worker, which the harness's own scrapes through a
	// real balancer cannot reach.
	runProm, noProm := prometheusClient(cfg.prometheusURL, st)
	targetNames := targetCounterNames(s)
	targetSpans := map[string]targetSpan{}
	var runErr error
	stoppedByFault := false
	for _, sc := range s.Scenarios {
		if ctx.Err() != nil {
			break
		}
		spanFrom := time.Now()
		counters := newCounterIncrease(scrape.Scrape(ctx, st.MetricsURLs()))
		sampler.track(counters)
		var prom instantQuerier
		if runProm != nil {
			prom = runProm
		}
		events := watchScenario(ctx, sc, st, rec, tap, prom, cfg.logf)
		sr := runScenario(ctx, s, sc, st, agg, sink, events, cfg)
		res.SetupRequests += sr.setupRequests
		res.SetupFailed += sr.setupFailed
		res.Outcomes[sc.Name] = sr.outcome
		faultLeftOn := clearFaults(context.WithoutCancel(ctx), st, events)
		// The scenario's timed actions, its scaling policy's and its load steps.
		res.Summary.Events = append(res.Summary.Events, events.finish(sr.outcome)...)
		res.Summary.Warnings = append(res.Summary.Warnings, prefixed(sc.Name, sr.outcome.Warnings)...)
		if sr.outcome.GeneratorBound {
			res.Summary.InvalidReasons = append(res.Summary.InvalidReasons, prefixed(sc.Name, sr.outcome.Reasons)...)
		}
		after := scrape.Scrape(context.WithoutCancel(ctx), st.MetricsURLs())
		sampler.track(nil)
		counters.observe(after)
		targetDeltas[sc.Name] = counters.result()
		if runProm != nil && len(targetNames) > 0 {
			// Every worker scraped after the last request, before the next
			// scenario sends one: the span's last samples are this one's.
			if late, err := runProm.AwaitScrapes(context.WithoutCancel(ctx), time.Now()); err != nil || len(late) > 0 {
				cfg.logf("%s: Prometheus had not scraped %v after the scenario (%v): its last counts may be missing", sc.Name, late, err)
			}
			targetSpans[sc.Name] = targetSpan{from: spanFrom, to: time.Now()}
		}
		for _, missed := range after.Missed {
			cfg.logf("metrics of %s: %s", sc.Name, missed)
		}
		if faultLeftOn != nil {
			// What runs next would be measured through a fault no gate
			// expects: the run is invalid, and stops here.
			res.Summary.InvalidReasons = append(res.Summary.InvalidReasons,
				fmt.Sprintf("%s: a fault could not be switched off: %v", sc.Name, faultLeftOn))
			cfg.logf("%s: a fault could not be switched off, the run stops: %v", sc.Name, faultLeftOn)
		}
		if sr.abort != nil {
			res.Summary.Aborted = sc.Name + ": " + sr.abort.Reason
			res.Summary.Events = append(res.Summary.Events, sr.abort.Event())
			break // the rest of the suite would hammer the same failing target
		}
		if sr.err != nil {
			runErr = fmt.Errorf("scenario %s: %w", sc.Name, sr.err)
			break
		}
		if faultLeftOn != nil {
			stoppedByFault = true
			break
		}
	}
	if err := sink.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write results: %w", err)
	}

	// PromQL gates ask a Prometheus about each scenario's main phase, once
	// it has scraped past the last one's end.
	promGates, promWarnings := judgePromQL(ctx, runProm, noProm, s, res.Outcomes, cfg.logf)
	res.Summary.Warnings = append(res.Summary.Warnings, promWarnings...)
	var fromPrometheus targetMeasurer
	if runProm != nil {
		var warnings []string
		fromPrometheus, warnings = targetFromPrometheus(context.WithoutCancel(ctx), runProm, cfg.targetJobOrDefault(), targetNames, targetSpans)
		res.Summary.Warnings = append(res.Summary.Warnings, warnings...)
	}
	res.Summary.Warnings = append(res.Summary.Warnings, resetWarnings(targetNames, fromPrometheus, targetDeltas)...)
	measurer := loadharness.Measurers{agg, rec, fromPrometheus, targetDeltas, promGates}
	for _, sc := range s.Scenarios {
		if _, ran := res.Outcomes[sc.Name]; !ran {
			continue
		}
		for _, spec := range sc.Gates {
			res.Summary.Gates = append(res.Summary.Gates, spec.Gate.Evaluate(sc.Name, measurer))
		}
	}
	res.Summary.Scenarios = reports.BuildScenarioSummaries(agg)
	for i := range res.Summary.Scenarios {
		res.Summary.Scenarios[i].AskedRPS = res.Outcomes[res.Summary.Scenarios[i].Name].AskedRPS
	}
	if ctx.Err() != nil {
		res.Summary.Interrupted = true
		var failed *sinkFailure
		if errors.As(context.Cause(ctx), &failed) {
			runErr = fmt.Errorf("the run stopped: %w", failed.err)
			res.Summary.Warnings = append(res.Summary.Warnings, "the run stopped early: "+failed.err.Error())
		} else {
			runErr = fmt.Errorf("%w: %v", ErrInterrupted, context.Cause(ctx))
		}
	}
	res.Environment.ServiceVersion = serviceVersion(cfg.serviceVersion, res.Outcomes)
	redactSummary(&res.Summary, s.Secrets)
	res.Summary.Complete = runErr == nil && !res.Summary.Interrupted && res.Summary.Aborted == "" && !stoppedByFault
	res.Summary.Verdict = loadharness.Judge(res.Summary.Evidence()).Verdict
	res.Target = sampler.Stop()
	res.Aggregate = agg
	res.Summary.Finished = time.Now()
	if cfg.progress != nil {
		if err := reports.WriteVerdictTable(cfg.progress, res.Summary); err != nil {
			cfg.logf("verdict table: %v", err)
		}
	}
	return res, runErr
}

// scenarioRun is what one scenario's run left.
type scenarioRun struct {
	outcome                    scenarios.Outcome
	abort                      *Abort // nil unless an abort check stopped it
	setupRequests, setupFailed int
	err                        error
}

// runScenario runs one scenario while its abort checks watch it.
func runScenario(ctx context.Context, s *suite.Suite, sc *suite.Scenario, st stack.Stack,
	agg *aggregate.Aggregate, sink loadharness.Sink, events *scenarioEvents, cfg runConfig) scenarioRun {
	// An abort cancels only this scenario's context, so that it is told
	// apart from an interruption of the whole run.
	scCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	checks := cfg.abortChecks
	if !s.Abort.Off {
		checks = append([]AbortCheck{suiteAbortCheck(s.Abort)}, checks...)
	}
	stopWatch := watchAbort(scCtx, sc.Name, agg, checks, cancel, cfg.logf)

	var setups []*setupFilter
	var mu sync.Mutex
	newSink := func(users int) loadharness.Sink {
		var next loadharness.Sink = lockedSink{mu: &mu, next: sink}
		if !cfg.skipSetup {
			return next
		}
		f := &setupFilter{next: next}
		setups = append(setups, f)
		return f
	}
	stopProgress := startProgress(cfg.progress, cfg.live, agg, sc)
	opts := scenarios.RunOptions{
		BaseURL:  st.URL(),
		UserBase: sc.UserBase,
		Session:  s.Session,
		Act:      faultHook(st, events, cfg.logf),
		Logf:     cfg.logf,
		TLS:      s.TLS,
	}
	var run scenarioRun
	if cfg.spawn != nil && sc.Users > cfg.spawn.Batch {
		run.outcome, run.err = runSpawned(scCtx, *cfg.spawn, sc, newSink, opts)
	} else {
		opts.Sink = newSink(sc.Users)
		run.outcome, run.err = scenarios.Run(scCtx, sc, opts)
	}
	stopProgress()
	run.abort = stopWatch()
	for _, f := range setups {
		run.setupRequests += f.seen
		run.setupFailed += f.failed
	}
	if run.abort != nil && ctx.Err() == nil {
		run.err = nil // the abort ended the scenario: a verdict, not an error
	} else {
		run.abort = nil
	}
	return run
}

// setupFilter drops a scenario's setup results, counting them, and
// passes every other result on.
type setupFilter struct {
	seen, failed int
	next         loadharness.Sink
}

// Add drops r when it is a setup result, counting the failed ones, and
// passes every other result on.
func (f *setupFilter) Add(r *loadharness.Result) {
	if r.Phase == loadharness.PhaseSetup {
		f.seen++
		if r.Failed() {
			f.failed++
		}
		return
	}
	f.next.Add(r)
}

// Close does nothing: the sinks behind it are closed once, by Run.
func (f *setupFilter) Close() error { return nil }

func prefixed(scenario string, lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, scenario+": "+l)
	}
	return out
}

// Option changes how Run runs a suite.
type Option func(*runConfig)

type runConfig struct {
	sinks       []loadharness.Sink
	progress    io.Writer
	live        bool
	logf        func(format string, args ...any)
	abortChecks []AbortCheck
	skipSetup   bool
	spawn       *Spawn
	sampleEvery time.Duration
	watchers    []func(*aggregate.Aggregate)
	// serviceVersion is the version of the service under test, for the
	// report.
	serviceVersion string
	// prometheusURL is the Prometheus of the promql gates (WithPrometheus).
	prometheusURL string
	// targetJob is the target's job in that Prometheus (WithTargetJob).
	targetJob string
}

func newConfig(opts []Option) runConfig {
	cfg := runConfig{logf: func(string, ...any) {}}
	for _, o := range opts {
		o(&cfg)
	}
	return cfg
}

// WithSink passes every result to sink too, after the run's own
// aggregates; Run closes it at the end. A raw results encoder goes here.
func WithSink(sink loadharness.Sink) Option {
	return func(c *runConfig) { c.sinks = append(c.sinks, sink) }
}

// WithProgress prints a line a second while scenarios run, and the verdict
// table at the end, to w; live redraws the line in place (w is a terminal).
func WithProgress(w io.Writer, live bool) Option {
	return func(c *runConfig) { c.progress, c.live = w, live }
}

// WithLogf reports what the harness does through logf.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(c *runConfig) {
		if logf != nil {
			c.logf = logf
		}
	}
}

// WithAbortCheck adds a check asked twice a second while a scenario runs
// (after the suite's own abort rule); a reason stops the scenario at once
// and fails the run with it.
func WithAbortCheck(check AbortCheck) Option {
	return func(c *runConfig) { c.abortChecks = append(c.abortChecks, check) }
}

// WithoutSetupResults leaves each scenario's setup results (every user's
// login and upload) out of the aggregate and the gates, so that a capacity
// step is judged on its steady load; they are counted in
// Result.SetupRequests and SetupFailed instead.
func WithoutSetupResults() Option {
	return func(c *runConfig) { c.skipSetup = true }
}

// WithSpawn starts each scenario's users in batches (see Spawn).
func WithSpawn(sp Spawn) Option {
	return func(c *runConfig) { c.spawn = &sp }
}

// WithTargetSamples reads the target's own metrics every interval during
// the run, for the report's target chart (see DefaultSampleInterval).
func WithTargetSamples(every time.Duration) Option {
	return func(c *runConfig) { c.sampleEvery = every }
}

// WithAggregate hands watch the run's aggregate as soon as Run creates it,
// before any load, so that something can read it live (an exporter of
// metrics); watch must only read it, from its own goroutines.
func WithAggregate(watch func(*aggregate.Aggregate)) Option {
	return func(c *runConfig) { c.watchers = append(c.watchers, watch) }
}

// WithServiceVersion names the version of the service under test, which
// the sign-off report and environment.json carry.
func WithServiceVersion(v string) Option {
	return func(c *runConfig) { c.serviceVersion = v }
}

// writeErrorer is a sink that says when it failed to write (the raw results
// writer does).
type writeErrorer interface{ Err() error }

// sinkFailure is the cause a failed sink stops the run with.
type sinkFailure struct{ err error }

func (e *sinkFailure) Error() string { return e.err.Error() }

// stopOnWriteError calls stop once next fails to write.
func stopOnWriteError(next loadharness.Sink, stop context.CancelCauseFunc) loadharness.Sink {
	w, ok := next.(writeErrorer)
	if !ok {
		return next
	}
	return &stoppingSink{Sink: next, errs: w, stop: stop}
}

type stoppingSink struct {
	loadharness.Sink
	errs    writeErrorer
	stop    context.CancelCauseFunc
	stopped bool
}

// Add passes r on, then stops the run if that write failed. Sinks are called
// under the run's lock, so stopped needs none of its own.
func (s *stoppingSink) Add(r *loadharness.Result) {
	s.Sink.Add(r)
	if !s.stopped {
		if err := s.errs.Err(); err != nil {
			s.stopped = true
			s.stop(&sinkFailure{err: err})
		}
	}
}
