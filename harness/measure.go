package harness

import (
	"loadharness"
)

// serializationErrorsMetric is the target's counter behind the
// `serialization_errors` gate (see docs/target-api.md).
const serializationErrorsMetric = "target_serialization_errors_total"

// targetMeasurer answers the gates on metrics the target counts itself (its
// Prometheus counters, as increases during each scenario); the results'
// aggregate answers everything else.
type targetMeasurer map[string]TargetMetrics // by scenario

var _ loadharness.Measurer = targetMeasurer(nil)

func (m targetMeasurer) Measure(metric loadharness.Metric, s loadharness.Scope) (float64, bool) {
	if !metric.FromTarget() {
		return 0, false
	}
	name := metric.TargetName()
	if metric.Name == loadharness.MetricSerializationErrors {
		name = serializationErrorsMetric
	}
	tm, ok := m[s.Scenario]
	if !ok || tm.Workers == 0 {
		return 0, false
	}
	v, ok := tm.Values[name]
	return v, ok
}
