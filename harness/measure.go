package harness

import (
	"fmt"
	"maps"
	"slices"

	"loadharness"
)

// serializationErrorsMetric is the target's counter behind the
// `serialization_errors` gate (see docs/target-api.md).
const serializationErrorsMetric = "target_serialization_errors_total"

// targetMeasurer answers the gates on metrics the target counts itself (its
// Prometheus counters, as increases during each scenario); the results'
// aggregate answers everything else.
type targetMeasurer map[string]TargetMetrics // by scenario

var _ loadharness.GateMeasurer = targetMeasurer(nil)

// MeasureGate answers like Measure, except that a counter reset during the
// scenario makes its increase a lower bound (what it counted between its
// last reading and the reset was never seen): the gate is then measured
// only when that bound decides it whatever was missed, and is otherwise
// not measured, so that no PASS rests on counts that were lost.
func (m targetMeasurer) MeasureGate(g loadharness.Gate, s loadharness.Scope) (float64, bool) {
	v, ok := m.Measure(g.Metric, s)
	if !ok {
		return 0, false
	}
	if m[s.Scenario].Resets[targetMetricName(g.Metric)] > 0 && !g.Op.DecidedByLowerBound(v, g.Threshold) {
		return 0, false
	}
	return v, true
}

// targetMetricName is the target's own name of a metric read from it.
func targetMetricName(metric loadharness.Metric) string {
	if metric.Name == loadharness.MetricSerializationErrors {
		return serializationErrorsMetric
	}
	return metric.TargetName()
}

func (m targetMeasurer) Measure(metric loadharness.Metric, s loadharness.Scope) (float64, bool) {
	if !metric.FromTarget() {
		return 0, false
	}
	name := targetMetricName(metric)
	tm, ok := m[s.Scenario]
	if !ok || tm.Workers == 0 {
		return 0, false
	}
	v, ok := tm.Values[name]
	return v, ok
}

// resetWarnings says, for each scenario whose reading of a counter the
// gates read saw it reset, that its increase is a lower bound; the first
// reading that has the scenario (Prometheus's, then the harness's own
// scrapes') is the one the gates use.
func resetWarnings(names []string, readings ...targetMeasurer) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range readings {
		for _, scenario := range slices.Sorted(maps.Keys(r)) {
			if seen[scenario] {
				continue
			}
			seen[scenario] = true
			for _, name := range names {
				if n := r[scenario].Resets[name]; n > 0 {
					out = append(out, fmt.Sprintf("%s: %s was reset %d time(s) (a worker restarted): what it counted between its last reading and a reset was never seen, so its increase is a lower bound, and a gate that bound cannot decide is not measured", scenario, name, n))
				}
			}
		}
	}
	return out
}
