package reports

import "testing"

func TestHolm(t *testing.T) {
	// alpha 0.005 over 4 tested metrics: thresholds 0.00125, 0.00167,
	// 0.0025, 0.005 in order of p. The third smallest p (0.003) misses its
	// threshold, so it and every larger one are not rejected, although
	// 0.003 alone would pass an uncorrected test at 0.005.
	c := Comparison{Scenarios: []ScenarioComparison{{Metrics: []MetricChange{
		{Metric: "p95", Tested: true, PWorse: 0.0001, Regression: true, Verdict: ChangeRegression},
		{Metric: "p99", Tested: true, PWorse: 0.003, Regression: true, Verdict: ChangeRegression},
		{Metric: "throughput", Tested: true, PWorse: 0.9},
		{Metric: "error_rate", Tested: true, PWorse: 0.001, Regression: true, Verdict: ChangeRegression},
		{Metric: "p50", PWorse: 0}, // not tested: not in the family
	}}}}
	holm(&c, 0.005)
	got := map[string]bool{}
	for _, m := range c.Scenarios[0].Metrics {
		got[m.Metric] = m.Regression
	}
	want := map[string]bool{"p95": true, "error_rate": true, "p99": false, "throughput": false, "p50": false}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s regression = %v, want %v", name, got[name], w)
		}
	}
	if c.Tested != 4 {
		t.Errorf("tested = %d, want 4", c.Tested)
	}
}
