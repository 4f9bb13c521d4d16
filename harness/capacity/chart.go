package capacity

import (
	"loadharness"
	"loadharness/reports/charts"
)

// Chart renders the search's curve (see charts.Capacity):
// latency, throughput and errors against load, with the capacity, the knee
// and the tightest latency gate.
func Chart(res Result) (charts.Chart, error) {
	c := charts.CapacityCurve{
		Name:     "capacity-" + res.Scenario,
		Title:    res.Suite + "/" + res.Scenario + ": latency, throughput and errors against load",
		Unit:     res.Unit,
		Capacity: res.Capacity,
	}
	c.LoadLabel = "concurrent users"
	if res.By == ByRate {
		c.LoadLabel = "rate asked (requests/s)"
	}
	if res.Knee != nil {
		c.Knee = res.Knee.Load
	}
	for _, text := range res.Gates {
		g, err := loadharness.ParseGate(text)
		if err != nil || g.Metric.Kind != loadharness.KindLatency || g.Op != loadharness.OpLess && g.Op != loadharness.OpLessEqual {
			continue
		}
		if c.LatencyGate == 0 || g.Threshold < c.LatencyGate {
			c.LatencyGate = g.Threshold
		}
	}
	for _, p := range res.Curve {
		c.Points = append(c.Points, charts.CapacityPoint{
			Load: p.Load, P50: p.P50, P95: p.P95, P99: p.P99, ThroughputRPS: p.ThroughputRPS, ErrorRate: p.ErrorRate,
		})
	}
	return charts.Capacity(c)
}
