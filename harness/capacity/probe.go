package capacity

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"

	"loadharness"
	"loadharness/harness"
	"loadharness/harness/stack"
	"loadharness/reports/aggregate"
	"loadharness/scenarios/suite"
)

// Thresholds of the early abort of a capacity step.
const (
	// minAbortRequests is how many results a step needs before a gate's
	// live value may abort it: fewer say too little.
	minAbortRequests = 100
	// minAbortShare is the least share of bad requests that aborts a step
	// on an error-ratio gate, whatever the gate's threshold: 3 × 0.1% is
	// noise, 5% is not.
	minAbortShare = 0.05
	// cpuBoundShare is the share of the machine's cores above which an
	// aborted step is taken as generator-bound rather than failing, as the
	// engine judges a step that ran its course.
	cpuBoundShare = 0.9
)

// probeOn returns the probe that runs one step of the search on stack.
func (p *capacityPlan) probeOn(st stack.Stack) probeFunc {
	first := true
	return func(ctx context.Context, load float64, phase string, measure time.Duration) (CurvePoint, error) {
		if !first {
			// Let an overloaded step's queues drain before the next one.
			select {
			case <-ctx.Done():
				return CurvePoint{Load: load, Phase: phase, Verdict: loadharness.VerdictInvalid}, fmt.Errorf("%w: %v", harness.ErrInterrupted, context.Cause(ctx))
			case <-time.After(p.opts.CoolDown):
			}
		}
		first = false
		sc := p.scenarioAt(load, p.opts.Warmup, measure)
		began := time.Now()
		cpuBefore, cpuOK := harnessCPU()
		res, err := harness.Run(ctx, p.suiteAt(sc), st,
			harness.WithLogf(p.logf),
			harness.WithAbortCheck(p.abortRule()),
			harness.WithoutSetupResults(),
			harness.WithSpawn(harness.DefaultSpawn),
			harness.WithPrometheus(p.prometheusURL))
		wall := time.Since(began)
		ev := res.Summary.Evidence()
		if res.Summary.Aborted != "" {
			// The engine cannot judge an interrupted step's generator; judge
			// it here, as it would have: a generator that used nearly every
			// core proves nothing about the target.
			if cpuAfter, ok := harnessCPU(); ok && cpuOK && wall > 0 {
				cores := (cpuAfter - cpuBefore).Seconds() / wall.Seconds()
				if procs := runtime.GOMAXPROCS(0); cores > cpuBoundShare*float64(procs) {
					ev.Invalid = append(ev.Invalid,
						fmt.Sprintf("generator was CPU-bound: this process used %.2f of %d cores", cores, procs))
				}
			}
		}
		point := pointOf(res, ev, sc, wall)
		p.observe(point)
		p.progress("%-8s %9s %-7s p95 %8.1fms  %8.1f/s  errors %6.2f%%  %s",
			phase, formatLoad(load, p.by), point.Verdict, point.P95, point.ThroughputRPS, 100*point.ErrorRate, pointNote(point))
		return point, err
	}
}

// pointOf reads a step's figures from its run.
func pointOf(res harness.Result, ev loadharness.Evidence, sc *suite.Scenario, wall time.Duration) CurvePoint {
	s := res.Summary
	pt := CurvePoint{Aborted: s.Aborted, Users: sc.Users, Seconds: wall.Seconds()}
	for _, g := range s.Gates {
		if !g.Pass {
			pt.FailedGates = append(pt.FailedGates, g.Display)
		}
	}
	for _, fig := range s.Scenarios {
		if fig.Name != sc.Name {
			continue
		}
		pt.AskedRPS = fig.AskedRPS
		pt.Requests = fig.Requests
		pt.ThroughputRPS = fig.ThroughputRPS
		if due := fig.Requests + fig.Dropped; due > 0 {
			pt.ErrorRate = float64(fig.Failed+fig.Dropped) / float64(due)
		}
		pt.P50, pt.P95, pt.P99 = fig.Latency.P50, fig.Latency.P95, fig.Latency.P99
		pt.SessionsLost = fig.SessionsLost
		pt.Codes = fig.Codes
	}
	// A rate the target could not absorb shows as dropped hits, which the
	// error gates count as a run judges them: capacity and run agree.
	pt.Verdict = loadharness.Judge(ev).Verdict
	pt.InvalidReasons = ev.Invalid
	if res.SetupFailed > 0 {
		pt.Warnings = append(pt.Warnings, fmt.Sprintf(
			"%d of %d setup requests failed (every user sets up at once; users without a data set then fail their steps)",
			res.SetupFailed, res.SetupRequests))
	}
	for _, w := range s.Warnings {
		pt.Warnings = append(pt.Warnings, w)
	}
	return pt
}

// pointNote is the short reason shown after a step's figures.
func pointNote(pt CurvePoint) string {
	switch {
	case pt.Aborted != "":
		return "aborted: " + pt.Aborted
	case len(pt.InvalidReasons) > 0:
		return pt.InvalidReasons[0]
	case len(pt.FailedGates) > 0:
		return pt.FailedGates[0]
	}
	return ""
}

// abortRule stops a step that is clearly failing, so a search does not
// spend a whole step on a load far past the capacity: a count gate (such
// as sessions_lost == 0) already past its threshold, since counts only
// grow; a latency more than AbortFactor times its threshold; a share of bad
// requests more than AbortFactor times the gate's and at least 5%. Gates on
// the target's counters are read only at the end of a step.
func (p *capacityPlan) abortRule() harness.AbortCheck {
	factor := p.opts.AbortFactor
	requests := loadharness.Metric{Name: loadharness.MetricRequests, Kind: loadharness.KindCount}
	return func(scenario string, live *aggregate.Aggregate, _ time.Time) string {
		n, ok := live.Measure(requests, loadharness.Scope{Scenario: scenario})
		if !ok || n < minAbortRequests {
			return ""
		}
		for _, spec := range p.judged {
			g := spec.Gate
			if g.Metric.FromTarget() {
				continue
			}
			v, ok := live.Measure(g.Metric, loadharness.Scope{Scenario: scenario, Step: g.Step})
			if !ok || math.IsNaN(v) {
				continue
			}
			if why := clearlyFailing(g, v, factor); why != "" {
				return why
			}
		}
		return ""
	}
}

// clearlyFailing says why measured v is far enough past g that the step
// cannot pass, or "".
func clearlyFailing(g loadharness.Gate, v, factor float64) string {
	k := g.Metric.Kind
	switch k {
	case loadharness.KindCount:
		if !g.Op.Holds(v, g.Threshold) {
			return fmt.Sprintf("%s = %s already fails %s (counts only grow)", g.Metric.Name, k.Format(v), g.String())
		}
	case loadharness.KindLatency:
		if (g.Op == loadharness.OpLess || g.Op == loadharness.OpLessEqual) && v > factor*g.Threshold {
			return fmt.Sprintf("%s = %s, over %g× the gate %s", g.Metric.Name, k.Format(v), factor, g.String())
		}
	case loadharness.KindRatio:
		bad, limit := v, g.Threshold // share of bad requests and its limit
		switch g.Op {
		case loadharness.OpGreater, loadharness.OpGreaterEqual:
			bad, limit = 1-v, 1-g.Threshold
		case loadharness.OpLess, loadharness.OpLessEqual:
		default:
			return ""
		}
		if bad > math.Max(factor*limit, minAbortShare) {
			return fmt.Sprintf("%s = %s, far past the gate %s", g.Metric.Name, k.Format(v), g.String())
		}
	}
	return ""
}

// formatLoad writes a load with its unit: "120 users", "150/s".
func formatLoad(load float64, by LoadAxis) string {
	if by == ByUsers {
		return fmt.Sprintf("%.0f users", load)
	}
	return loadharness.KindRate.Format(load)
}
