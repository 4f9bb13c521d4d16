package harness

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"loadharness"
	"loadharness/harness/promql"
	"loadharness/scenarios"
	"loadharness/scenarios/suite"
)

// promQLBudget bounds every query of a run's promql gates together, so a
// Prometheus that accepts connections and never answers delays the verdict
// by this much at most; the wait for a scrape comes on top of it and has
// its own bound (promql.Client.AwaitScrapes).
const promQLBudget = time.Minute

// WithPrometheus judges the suite's promql gates on the Prometheus whose
// HTTP API is at url ("http://127.0.0.1:9090"), over each scenario's main
// phase. It wins over a Prometheus the stack brought up itself
// (stack.Prometheuser), which Run uses otherwise.
func WithPrometheus(url string) Option {
	return func(c *runConfig) { c.prometheusURL = url }
}

// promQLQuerier is what promql gates need of a Prometheus; harness/promql's
// Client is the one Run uses.
type promQLQuerier interface {
	AwaitScrapes(ctx context.Context, t time.Time) (late []string, err error)
	Range(ctx context.Context, expr string, start, end time.Time) ([]promql.Series, []string, error)
}

var _ promQLQuerier = (*promql.Client)(nil)

// judgePromQL measures the run's promql gates (see measurePromQL) on the
// run's Prometheus (prometheusClient), or says why none could be (none).
// It exists for its nil check: a nil *promql.Client handed on as a
// promQLQuerier would be a non-nil interface.
func judgePromQL(ctx context.Context, prom *promql.Client, none string, s *suite.Suite,
	outcomes map[string]scenarios.Outcome, logf func(string, ...any)) (promQLGates, []string) {
	if prom == nil {
		return measurePromQL(ctx, nil, none, s, outcomes, logf)
	}
	return measurePromQL(ctx, prom, none, s, outcomes, logf)
}

// promQLKey names one range query: an expression over one scenario's main
// phase.
type promQLKey struct{ scenario, expr string }

// promQLGates answers promql gates with every point of their expression's
// range query over the scenario's main phase: the gate must hold at each
// one, so it is judged at the worst for its operator (Op.Worst). A gate
// with no point, because the query failed or matched nothing, is not
// measured and fails.
type promQLGates map[promQLKey][]float64

var _ loadharness.GateMeasurer = promQLGates(nil)

// Measure answers nothing: which point counts depends on the gate's
// operator, which MeasureGate has.
func (promQLGates) Measure(loadharness.Metric, loadharness.Scope) (float64, bool) { return 0, false }

// MeasureGate returns the worst point of g's expression over the scope's
// scenario for g's operator and threshold.
func (p promQLGates) MeasureGate(g loadharness.Gate, s loadharness.Scope) (float64, bool) {
	if !g.Metric.FromPrometheus() {
		return 0, false
	}
	return g.Op.Worst(g.Threshold, p[promQLKey{s.Scenario, g.Metric.PromQL}])
}

// measurePromQL runs, on q, one range query for each scenario that ran and
// each distinct expression of its promql gates, over the scenario's main
// phase (scenarios.Outcome's Started to Finished), once Prometheus has
// scraped its targets after the last of those phases ended. What left a
// gate without a point is returned as a warning, so that a gate read as
// "not measured" says why; q nil is a run with no Prometheus, for the
// reason none.
func measurePromQL(ctx context.Context, q promQLQuerier, none string, s *suite.Suite,
	outcomes map[string]scenarios.Outcome, logf func(string, ...any)) (promQLGates, []string) {
	points := promQLGates{}
	var warnings []string
	var queries []promQLKey
	var last time.Time
	for _, sc := range s.Scenarios {
		out, ran := outcomes[sc.Name]
		if !ran {
			continue
		}
		for _, spec := range sc.Gates {
			key := promQLKey{sc.Name, spec.Gate.Metric.PromQL}
			if key.expr == "" || slices.Contains(queries, key) {
				continue
			}
			queries = append(queries, key)
			if out.Finished.After(last) {
				last = out.Finished
			}
		}
	}
	if len(queries) == 0 {
		return points, nil
	}
	if q == nil {
		return points, []string{"promql gates not measured: " + none}
	}
	if ctx.Err() == nil && !last.IsZero() {
		late, err := q.AwaitScrapes(ctx, last)
		switch {
		case err != nil:
			warnings = append(warnings, fmt.Sprintf("promql gates: %v; queried without waiting for a scrape after the main phase", err))
		case len(late) > 0:
			warnings = append(warnings, fmt.Sprintf("promql gates: Prometheus had not scraped %s since the main phase ended; the last instants may lack their samples", strings.Join(late, ", ")))
		}
	}
	// An interrupted run is still judged on what ran: the queries outlive
	// ctx, within their own budget.
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), promQLBudget)
	defer cancel()
	for _, key := range queries {
		subject := key.scenario + ": promql(" + key.expr + ")"
		out := outcomes[key.scenario]
		if out.Started.IsZero() || out.Finished.Before(out.Started) {
			warnings = append(warnings, subject+" not measured: the scenario has no main phase to judge")
			continue
		}
		series, notes, err := q.Range(qctx, key.expr, out.Started, out.Finished)
		for _, note := range notes {
			warnings = append(warnings, subject+": Prometheus warns: "+note)
		}
		if err != nil {
			warnings = append(warnings, subject+" not measured: "+err.Error())
			continue
		}
		values := promql.Values(series)
		nan := 0
		for _, v := range values {
			if math.IsNaN(v) {
				nan++
			}
		}
		span := out.Started.UTC().Format("15:04:05.000") + " to " + out.Finished.UTC().Format("15:04:05.000 UTC")
		switch {
		case len(values) == 0:
			warnings = append(warnings, subject+" not measured: no series over the main phase ("+span+")")
			continue
		case nan == len(values):
			warnings = append(warnings, fmt.Sprintf("%s not measured: all %d points over the main phase (%s) are NaN", subject, nan, span))
			continue
		case nan > 0:
			warnings = append(warnings, fmt.Sprintf("%s: %d of %d points are NaN and were left out", subject, nan, len(values)))
		}
		points[key] = values
		logf("%s: %d series, %d points over %s", subject, len(series), len(values), span)
	}
	return points, warnings
}
