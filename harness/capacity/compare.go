package capacity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"loadharness"
	"loadharness/harness"
	"loadharness/harness/stack"
	"loadharness/reports"
	"loadharness/scenarios/suite"
)

// CompareConfig runs the shape before and the shape after side by side:
// each suite in full on its own stack, then, on the same stack, a capacity
// search of one scenario.
type CompareConfig struct {
	Before, After *suite.Suite
	// Provider returns the provider of one side, "before" or "after".
	Provider func(side string) (stack.Provider, error)
	// Scenario is the scenario whose capacity each side measures (it must
	// exist in both suites); "" skips the capacity searches.
	Scenario string
	By       LoadAxis
	Search   SearchOptions
	Progress io.Writer
	Logf     func(format string, args ...any)
	// TeardownFailed, when set, is told of a stack that did not come down.
	TeardownFailed func(error)
	// ExplicitTarget is as in Config.
	ExplicitTarget bool
	// PrometheusURL is as in Config.
	PrometheusURL string
}

// ShapeSide is what one side's run and search found.
type ShapeSide struct {
	Suite   string                 `json:"suite"`
	Shape   loadharness.StackShape `json:"shape"`
	Verdict loadharness.Verdict    `json:"verdict"`
	Summary reports.Summary        `json:"summary"`
	Losses  LossReport             `json:"losses"`
	// Capacity is nil when no search was asked for.
	Capacity *Result `json:"capacity,omitempty"`
}

// Criterion is one gate of either suite, judged on each side.
type Criterion struct {
	Scenario string           `json:"scenario"`
	Gate     loadharness.Gate `json:"gate"`
	// Before and After are the gate's display on each side, "" when that
	// side's suite does not have it.
	Before     string `json:"before"`
	After      string `json:"after"`
	BeforePass bool   `json:"before_pass"`
	AfterPass  bool   `json:"after_pass"`
}

// ShapeComparison is the before/after page: which criteria each side meets,
// the capacity of each, and the concrete failures of the shape before.
type ShapeComparison struct {
	Before   ShapeSide   `json:"before"`
	After    ShapeSide   `json:"after"`
	Criteria []Criterion `json:"criteria"`
	// Failures are the before shape's concrete failures, in words.
	Failures    []string `json:"failures"`
	WallSeconds float64  `json:"wall_seconds"`
}

// CompareShapes runs both sides, before first, and puts them side by side.
// It returns what it measured with any error.
func CompareShapes(ctx context.Context, cfg CompareConfig) (ShapeComparison, error) {
	started := time.Now()
	var cmp ShapeComparison
	if cfg.Before == nil || cfg.After == nil || cfg.Provider == nil {
		return cmp, errors.New("compare: need both suites and a provider")
	}
	var err error
	if cmp.Before, err = runSide(ctx, "before", cfg.Before, cfg); err != nil {
		return cmp, err
	}
	if cmp.After, err = runSide(ctx, "after", cfg.After, cfg); err != nil {
		return cmp, err
	}
	cmp.Criteria = criteria(cmp.Before.Summary, cmp.After.Summary)
	cmp.Failures = beforeFailures(cmp.Before, cmp.After)
	cmp.WallSeconds = time.Since(started).Seconds()
	return cmp, nil
}

// runSide brings one side's stack up once for its suite and its search.
func runSide(ctx context.Context, side string, s *suite.Suite, cfg CompareConfig) (ShapeSide, error) {
	res := ShapeSide{Suite: s.Name, Shape: s.Stack}
	logf := cfg.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	prov, err := cfg.Provider(side)
	if err != nil {
		return res, fmt.Errorf("%s: %w", side, err)
	}
	var plan *capacityPlan
	if cfg.Scenario != "" {
		// Checked before the stack starts, so a typo costs nothing.
		plan, err = newCapacityPlan(Config{Suite: s, Scenario: cfg.Scenario, By: cfg.By, Provider: prov,
			Search: cfg.Search, Progress: cfg.Progress, Logf: cfg.Logf, PrometheusURL: cfg.PrometheusURL})
		if err != nil {
			return res, fmt.Errorf("%s: %w", side, err)
		}
	}
	logf("%s: starting %s: %d instance(s) × %d worker(s), sessions in %s, data sets in %s",
		side, s.Name, s.Stack.Instances, s.Stack.Workers, s.Stack.SessionStore, s.Stack.DatasetStore)
	st, err := harness.Up(ctx, prov, s, cfg.ExplicitTarget, logf)
	if err != nil {
		return res, fmt.Errorf("%s: %w", side, err)
	}
	defer closeStack(st, logf, cfg.TeardownFailed)
	losses := newLossSink(s)
	run, err := harness.Run(ctx, s, st, harness.WithSink(losses), harness.WithLogf(cfg.Logf), harness.WithPrometheus(cfg.PrometheusURL))
	res.Summary, res.Verdict, res.Losses = run.Summary, run.Summary.Verdict, losses.report
	if err != nil {
		return res, fmt.Errorf("%s: %w", side, err)
	}
	if plan == nil {
		return res, nil
	}
	searchStart := time.Now()
	c, err := plan.searchOn(ctx, st)
	c.Started, c.Finished = searchStart, time.Now()
	c.WallSeconds = c.Finished.Sub(searchStart).Seconds()
	res.Capacity = &c
	if err != nil {
		return res, fmt.Errorf("%s: capacity: %w", side, err)
	}
	return res, nil
}

// criteria lines up the gates of both runs by scenario and gate text.
func criteria(before, after reports.Summary) []Criterion {
	var out []Criterion
	index := map[[2]string]int{}
	for _, g := range before.Gates {
		index[[2]string{g.Scenario, g.Gate.String()}] = len(out)
		out = append(out, Criterion{Scenario: g.Scenario, Gate: g.Gate, Before: g.Display, BeforePass: g.Pass})
	}
	for _, g := range after.Gates {
		key := [2]string{g.Scenario, g.Gate.String()}
		if i, ok := index[key]; ok {
			out[i].After, out[i].AfterPass = g.Display, g.Pass
			continue
		}
		out = append(out, Criterion{Scenario: g.Scenario, Gate: g.Gate, After: g.Display, AfterPass: g.Pass})
	}
	return out
}

// beforeFailures states the before shape's concrete failures: sessions lost
// (across workers, across instances), data lost across instances, data sets
// the session could not hold, and what carrying the data set in the session
// costs per request.
func beforeFailures(before, after ShapeSide) []string {
	l := before.Losses
	checked := 0
	for _, sc := range before.Summary.Scenarios {
		checked += sc.SessionsChecked
	}
	out := []string{
		fmt.Sprintf("sessions lost: %d of %d users checked (%d across workers of one instance, %d across instances, "+
			"%d back on the worker that took the upload, after another worker had replaced the session cookie)",
			l.UsersLost, checked, l.AcrossWorkers, l.AcrossInstances, l.SameWorker),
		fmt.Sprintf("data lost across instances: %d users got a 500 for their data set from another instance than the one that took the upload", l.DataMissing),
	}
	serialization := "not measured (no serialization_errors gate, or no target metrics)"
	for _, g := range before.Summary.Gates {
		if g.Gate.String() == loadharness.MetricSerializationErrors+" == 0" && !g.Missing {
			serialization = fmt.Sprintf("%.0f counted by the target", g.Measured)
			break
		}
	}
	out = append(out, fmt.Sprintf("serialization errors of data sets in the session: %s; %d uploads refused as too large for the session (507)",
		serialization, l.TooLarge))
	for _, line := range stepCosts(before.Summary, after.Summary) {
		out = append(out, line)
	}
	return out
}

// stepCosts compares the p50 of each step both sides ran, scenario by
// scenario: with the data set in the session every request loads and saves
// it whole, which is where its cost shows.
func stepCosts(before, after reports.Summary) []string {
	var out []string
	for _, b := range before.Scenarios {
		for _, a := range after.Scenarios {
			if a.Name != b.Name {
				continue
			}
			for _, bs := range b.Steps {
				for _, as := range a.Steps {
					if as.Name == bs.Name && bs.Requests > 0 && as.Requests > 0 {
						out = append(out, fmt.Sprintf("%s/%s p50: %s before, %s after", b.Name, bs.Name,
							loadharness.KindLatency.Format(bs.Latency.P50), loadharness.KindLatency.Format(as.Latency.P50)))
					}
				}
			}
		}
	}
	return out
}
