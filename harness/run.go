package harness

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"loadharness"
	"loadharness/reports"
	"loadharness/scenarios"
)

// File names a run writes into its output directory.
const (
	SummaryFile = "summary.json"
	ResultsFile = "results.json"
)

// Config is one run of a suite.
type Config struct {
	Suite    *scenarios.Suite
	Provider Provider
	// OutDir receives summary.json, the raw results and the stack's logs.
	OutDir string
	// Progress receives a line per second while scenarios run, and the
	// verdict table at the end; nil is silent.
	Progress io.Writer
	// Live redraws the progress line in place (Progress is a terminal).
	Live bool
	// Logf reports what the harness does; nil is silent.
	Logf func(format string, args ...any)
	// ExplicitTarget says the user named the target (--target): only then
	// may the load leave this machine (see CheckTarget).
	ExplicitTarget bool
}

// ErrInterrupted is wrapped by Run's error when ctx ended the run early; the
// partial summary has been written.
var ErrInterrupted = errors.New("run interrupted")

// Run brings the stack up, runs the suite's scenarios one after the other,
// judges the gates and writes OutDir/summary.json. It returns an error only
// when the harness itself could not run (bad gate, stack would not start,
// output not writable) or was interrupted; a failed gate is a verdict, not an
// error. Whatever was measured before an interruption is summarized.
func Run(ctx context.Context, cfg Config) (reports.Summary, error) {
	summary := reports.Summary{Suite: cfg.Suite.Name, Stack: cfg.Suite.Stack, Started: time.Now()}
	gates, err := parseSuiteGates(cfg.Suite)
	if err != nil {
		return summary, err
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return summary, fmt.Errorf("output directory: %w", err)
	}
	rawFile, err := os.Create(filepath.Join(cfg.OutDir, ResultsFile))
	if err != nil {
		return summary, fmt.Errorf("raw results: %w", err)
	}
	defer rawFile.Close()

	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	logf("starting the stack: %d instance(s) × %d worker(s) × %d thread(s), sessions in %s, data sets in %s",
		cfg.Suite.Stack.Instances, cfg.Suite.Stack.Workers, cfg.Suite.Stack.Threads, cfg.Suite.Stack.SessionStore, cfg.Suite.Stack.DatasetStore)
	stackStart := time.Now()
	provider, err := withFaults(cfg.Provider, cfg.Suite)
	if err != nil {
		return summary, err
	}
	stack, err := provider.Start(ctx, cfg.Suite.Stack)
	if err != nil {
		if ctx.Err() != nil {
			// Start has torn down what it began; nothing was measured.
			return summary, fmt.Errorf("%w while the stack started: %v", ErrInterrupted, context.Cause(ctx))
		}
		return summary, fmt.Errorf("start stack: %w", err)
	}
	defer func() {
		teardown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := stack.Close(teardown); err != nil {
			logf("tear down: %v", err)
		}
	}()
	if err := checkStackTargets(stack, cfg.ExplicitTarget, logf); err != nil {
		return summary, err
	}
	info := stack.Info()
	summary.Provider = info.Provider
	summary.Warnings = append(summary.Warnings, info.Warnings...)
	logf("stack ready in %s at %s (redis: %s)", time.Since(stackStart).Round(time.Millisecond), stack.URL(), info.RedisKind)

	sampler := startTargetSampler(ctx, stack, cfg.Suite.Stack.Workers, DefaultSampleInterval)
	agg := reports.NewAggregate(time.Now())
	// rec measures around events (recovery_time and the like); tap feeds a
	// scaling policy's p95 signal.
	rec, tap := reports.NewRecovery(agg), newLatencyTap()
	sink := loadharness.Sinks{agg, rec, tap, scenarios.NewRawWriter(rawFile)}
	scrape := newScraper(cfg.Suite.Stack.Workers)
	targetDeltas := targetMeasurer{}
	outcomes := map[string]scenarios.Outcome{}
	var generatorBound bool
	var runErr error
	var aborted *Abort

	for _, sc := range cfg.Suite.Scenarios {
		if ctx.Err() != nil {
			break
		}
		before := scrape.Scrape(ctx, stack.MetricsURLs())
		events := watchScenario(ctx, sc, stack, rec, tap, gates[sc.Name], logf)
		stopProgress := startProgress(cfg.Progress, cfg.Live, agg, sc)
		// The abort rule cancels only this scenario's context, so an abort
		// is told apart from an interruption of the whole run.
		scCtx, cancelScenario := context.WithCancelCause(ctx)
		stopAbort := watchAbort(scCtx, cfg.Suite.Abort, sc.Name, agg.Seconds, cancelScenario, logf)
		outcome, err := scenarios.Run(scCtx, sc, scenarios.RunOptions{
			BaseURL:  stack.URL(),
			UserBase: sc.UserBase,
			Sink:     sink,
			Session:  cfg.Suite.Session,
			Act:      faultHook(stack, events, logf),
			Logf:     logf,
		})
		stopProgress()
		abort := stopAbort()
		cancelScenario(nil)
		outcomes[sc.Name] = outcome
		clearFaults(context.WithoutCancel(ctx), stack, events)
		// The scenario's timed actions, its scaling policy's and its load steps.
		summary.Events = append(summary.Events, events.finish(outcome)...)
		summary.Warnings = append(summary.Warnings, prefixed(sc.Name, outcome.Warnings)...)
		if outcome.GeneratorBound {
			generatorBound = true
			summary.InvalidReasons = append(summary.InvalidReasons, prefixed(sc.Name, outcome.Reasons)...)
		}
		after := scrape.Scrape(context.WithoutCancel(ctx), stack.MetricsURLs())
		targetDeltas[sc.Name] = after.Delta(before)
		for _, missed := range after.Missed {
			logf("metrics of %s: %s", sc.Name, missed)
		}
		if abort != nil {
			aborted = abort
			summary.Events = append(summary.Events, abort.Event())
			break // the rest of the suite would hammer the same failing target
		}
		if err != nil {
			runErr = fmt.Errorf("scenario %s: %w", sc.Name, err)
			break
		}
	}
	if err := sink.Close(); err != nil && runErr == nil {
		runErr = fmt.Errorf("write results: %w", err)
	}

	measurer := loadharness.Measurers{agg, rec, targetDeltas}
	for _, sc := range cfg.Suite.Scenarios {
		if _, ran := outcomes[sc.Name]; !ran {
			continue
		}
		for _, g := range gates[sc.Name] {
			summary.Gates = append(summary.Gates, g.Evaluate(sc.Name, measurer))
		}
	}
	summary.Scenarios = reports.BuildScenarioSummaries(agg)
	for i := range summary.Scenarios {
		summary.Scenarios[i].AskedRPS = outcomes[summary.Scenarios[i].Name].AskedRPS
	}
	summary.Verdict = loadharness.Judge(summary.Gates, generatorBound)
	if aborted != nil {
		// The target failed the run, whatever the gates of what ran say.
		summary.Verdict = loadharness.VerdictFail
		summary.InvalidReasons = append(summary.InvalidReasons, aborted.Scenario+": "+aborted.Reason)
	}
	interrupted := ctx.Err() != nil
	if interrupted {
		summary.Verdict = loadharness.VerdictInvalid
		summary.InvalidReasons = append(summary.InvalidReasons, "the run was interrupted: the figures cover only what ran")
		runErr = fmt.Errorf("%w: %v", ErrInterrupted, context.Cause(ctx))
	}
	samples := sampler.Stop()
	summary.Finished = time.Now()
	if err := writeSummary(cfg.OutDir, summary); err != nil {
		return summary, errors.Join(runErr, err)
	}
	if err := WriteArtefacts(cfg.OutDir, reports.ReportInput{
		Summary: summary, Aggregate: agg, Target: samples, Environment: environment(info),
	}); err != nil {
		// The summary is written and the verdict stands: a report that fails
		// to render loses no figure, so it does not turn the exit code into 2.
		logf("WARNING: report not written: %v", err)
	}
	if cfg.Progress != nil {
		if err := reports.WriteVerdictTable(cfg.Progress, summary); err != nil {
			logf("verdict table: %v", err)
		}
	}
	return summary, runErr
}

// parseSuiteGates parses every scenario's gates before anything starts, so a
// typo never costs a stack start; every problem is reported at once.
func parseSuiteGates(s *scenarios.Suite) (map[string][]loadharness.Gate, error) {
	gates := map[string][]loadharness.Gate{}
	var errs []error
	for _, sc := range s.Scenarios {
		for _, spec := range sc.Gates {
			g, err := loadharness.ParseGate(spec.Text)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s:%d:%d: gate %q: %w", s.File, spec.Pos.Line, spec.Pos.Column, spec.Text, err))
				continue
			}
			gates[sc.Name] = append(gates[sc.Name], g)
		}
	}
	return gates, errors.Join(errs...)
}

// actOn adapts the stack's actions to the engine's hook; a failed action is
// an event with its error, never the end of the run.
func actOn(stack Stack, logf func(string, ...any)) func(context.Context, scenarios.Action) loadharness.Event {
	return func(ctx context.Context, a scenarios.Action) loadharness.Event {
		ev, err := stack.Act(ctx, a.Do, a.Instance)
		if err != nil {
			logf("action %s: %v", a.Do, err)
		} else {
			logf("action %s %s done", a.Do, ev.Target)
		}
		return ev
	}
}

func writeSummary(dir string, s reports.Summary) error {
	tmp := filepath.Join(dir, SummaryFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if err := reports.WriteSummaryJSON(f, s); err != nil {
		f.Close()
		return fmt.Errorf("write summary: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	// Rename so a reader never sees half a summary.
	return os.Rename(tmp, filepath.Join(dir, SummaryFile))
}

func prefixed(scenario string, lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		out = append(out, scenario+": "+l)
	}
	return out
}
