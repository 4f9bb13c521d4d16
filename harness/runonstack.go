package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"loadharness"
	"loadharness/reports"
	"loadharness/scenarios"
)

// abortPoll is how often RunOnStack asks StackRun.Abort about a running
// scenario: often enough that a hopeless capacity step ends within a second.
const abortPoll = 500 * time.Millisecond

// StackRun is one run of a suite's scenarios on a stack that is already up.
// A capacity search runs one at every load it tries, so that the stack comes
// up once per shape rather than once per step.
type StackRun struct {
	Suite *scenarios.Suite
	// Sink, when set, receives every result after the run's aggregate does;
	// RunOnStack closes it.
	Sink loadharness.Sink
	// Progress, Live and Logf are as in Config.
	Progress io.Writer
	Live     bool
	Logf     func(format string, args ...any)
	// Abort, when set, is asked about twice a second while a scenario runs,
	// with the results folded so far; a non-empty answer stops the scenario
	// at once and fails the run with that reason. The measurer answers for
	// loadharness.Scope{Scenario: scenario}.
	Abort func(scenario string, live loadharness.Measurer) string
	// SkipSetup leaves each scenario's setup results (every user's login
	// and upload, sent in one burst) out of the aggregate and the gates, so
	// that a capacity step is judged on its steady load. They are counted
	// in StackRunResult.SetupRequests and SetupFailed instead.
	SkipSetup bool
	// Spawn, when set, starts each scenario's users in batches (see Spawn).
	Spawn *Spawn
}

// StackRunResult is what RunOnStack measured.
type StackRunResult struct {
	Summary reports.Summary
	// Aborted is why Abort stopped a scenario; "" when none was stopped.
	// An aborted run's verdict is fail unless the generator was the limit.
	Aborted string
	// Outcomes are the engine's own accounts, by scenario.
	Outcomes map[string]scenarios.Outcome
	// SetupRequests and SetupFailed count the setup results left out by
	// StackRun.SkipSetup, and how many of them failed.
	SetupRequests, SetupFailed int
}

// errAborted is the cause of a scenario's context when Abort stopped it.
var errAborted = errors.New("aborted: clearly failing")

// RunOnStack runs the suite's scenarios one after the other on stack, judges
// their gates and returns the summary; it writes no file and leaves the
// stack up. It mirrors Run, which brings its own stack up and down: the
// same measurers (the results' aggregate, the measurements around events,
// then the target's counters as increases during each scenario), the same
// timed actions and scaling policies, and the same verdict. Like Run, it
// returns an error only when the harness could not run or ctx ended; a
// failed gate or an abort is a verdict.
func RunOnStack(ctx context.Context, stack Stack, r StackRun) (StackRunResult, error) {
	res := StackRunResult{
		Summary:  reports.Summary{Suite: r.Suite.Name, Stack: r.Suite.Stack, Started: time.Now()},
		Outcomes: map[string]scenarios.Outcome{},
	}
	gates, err := parseSuiteGates(r.Suite)
	if err != nil {
		return res, err
	}
	logf := r.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	info := stack.Info()
	res.Summary.Provider = info.Provider
	res.Summary.Warnings = append(res.Summary.Warnings, info.Warnings...)

	agg := reports.NewAggregate(time.Now())
	rec, tap := reports.NewRecovery(agg), newLatencyTap()
	sink := loadharness.Sinks{agg, rec, tap}
	if r.Sink != nil {
		sink = append(sink, r.Sink)
	}
	scrape := newScraper(r.Suite.Stack.Workers)
	targetDeltas := targetMeasurer{}
	var generatorBound bool
	var runErr error
	for _, sc := range r.Suite.Scenarios {
		if ctx.Err() != nil {
			break
		}
		before := scrape.Scrape(ctx, stack.MetricsURLs())
		events := watchScenario(ctx, sc, stack, rec, tap, gates[sc.Name], logf)
		var setups []*setupFilter
		var mu sync.Mutex
		newSink := func(users int) loadharness.Sink {
			var s loadharness.Sink = lockedSink{mu: &mu, next: sink}
			if !r.SkipSetup {
				return s
			}
			f := &setupFilter{remaining: users * len(sc.Setup), next: s}
			setups = append(setups, f)
			return f
		}
		outcome, reason, err := runWatched(ctx, stack, r, sc, agg, newSink, events.timed, logf)
		for _, f := range setups {
			res.SetupRequests += f.seen
			res.SetupFailed += f.failed
		}
		res.Outcomes[sc.Name] = outcome
		res.Summary.Events = append(res.Summary.Events, events.finish(outcome)...)
		res.Summary.Warnings = append(res.Summary.Warnings, prefixed(sc.Name, outcome.Warnings)...)
		if outcome.GeneratorBound {
			generatorBound = true
			res.Summary.InvalidReasons = append(res.Summary.InvalidReasons, prefixed(sc.Name, outcome.Reasons)...)
		}
		after := scrape.Scrape(context.WithoutCancel(ctx), stack.MetricsURLs())
		targetDeltas[sc.Name] = after.Delta(before)
		if reason != "" {
			res.Aborted = sc.Name + ": " + reason
			res.Summary.Warnings = append(res.Summary.Warnings, "aborted "+res.Aborted)
			break // the run has failed: the later scenarios would prove nothing more
		}
		if err != nil {
			runErr = fmt.Errorf("scenario %s: %w", sc.Name, err)
			break
		}
	}
	if err := sink.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("close results: %w", err)
	}
	measurer := loadharness.Measurers{agg, rec, targetDeltas}
	for _, sc := range r.Suite.Scenarios {
		if _, ran := res.Outcomes[sc.Name]; !ran {
			continue
		}
		for _, g := range gates[sc.Name] {
			res.Summary.Gates = append(res.Summary.Gates, g.Evaluate(sc.Name, measurer))
		}
	}
	res.Summary.Scenarios = reports.BuildScenarioSummaries(agg)
	for i := range res.Summary.Scenarios {
		res.Summary.Scenarios[i].AskedRPS = res.Outcomes[res.Summary.Scenarios[i].Name].AskedRPS
	}
	res.Summary.Verdict = loadharness.Judge(res.Summary.Gates, generatorBound)
	if res.Aborted != "" && res.Summary.Verdict == loadharness.VerdictPass {
		res.Summary.Verdict = loadharness.VerdictFail
	}
	if ctx.Err() != nil {
		res.Summary.Verdict = loadharness.VerdictInvalid
		res.Summary.InvalidReasons = append(res.Summary.InvalidReasons, "the run was interrupted: the figures cover only what ran")
		runErr = fmt.Errorf("%w: %v", ErrInterrupted, context.Cause(ctx))
	}
	res.Summary.Finished = time.Now()
	if r.Progress != nil {
		if err := reports.WriteVerdictTable(r.Progress, res.Summary); err != nil {
			logf("verdict table: %v", err)
		}
	}
	return res, runErr
}

// setupFilter drops the first results of a scenario, its setup's: the
// engine delivers every user's setup results before any other.
type setupFilter struct {
	remaining, seen, failed int
	next                    loadharness.Sink
}

// Add drops r while setup results remain, counting the failed ones, and
// passes every later result on.
func (f *setupFilter) Add(r *loadharness.Result) {
	if f.remaining > 0 {
		f.remaining--
		f.seen++
		if r.Failed() {
			f.failed++
		}
		return
	}
	f.next.Add(r)
}

// Close does nothing: the sinks behind it are closed once, by RunOnStack.
func (f *setupFilter) Close() error { return nil }

// runWatched runs one scenario while a watcher asks r.Abort about it; it
// returns the abort's reason, if any, and an error only for a run that could
// not be carried out (an abort is not one).
func runWatched(ctx context.Context, stack Stack, r StackRun, sc *scenarios.Scenario,
	agg *reports.Aggregate, newSink func(users int) loadharness.Sink, act func(context.Context, scenarios.Action) loadharness.Event,
	logf func(string, ...any)) (scenarios.Outcome, string, error) {
	scCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var reason string
	watchDone := make(chan struct{})
	stopWatch := make(chan struct{})
	go func() {
		defer close(watchDone)
		if r.Abort == nil {
			return
		}
		tick := time.NewTicker(abortPoll)
		defer tick.Stop()
		for {
			select {
			case <-stopWatch:
				return
			case <-scCtx.Done():
				return
			case <-tick.C:
				if why := r.Abort(sc.Name, agg); why != "" {
					reason = why
					logf("%s: aborting: %s", sc.Name, why)
					cancel(errAborted)
					return
				}
			}
		}
	}()
	stopProgress := startProgress(r.Progress, r.Live, agg, sc)
	opts := scenarios.RunOptions{
		BaseURL: stack.URL(),
		Session: r.Suite.Session,
		Act:     act,
		Logf:    logf,
	}
	var outcome scenarios.Outcome
	var err error
	if r.Spawn != nil && sc.Users > r.Spawn.Batch {
		outcome, err = runSpawned(scCtx, *r.Spawn, sc, newSink, opts)
	} else {
		opts.Sink = newSink(sc.Users)
		outcome, err = scenarios.Run(scCtx, sc, opts)
	}
	stopProgress()
	close(stopWatch)
	<-watchDone
	if reason != "" && ctx.Err() == nil {
		return outcome, reason, nil
	}
	return outcome, "", err
}
