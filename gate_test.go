package loadharness_test

import (
	"encoding/json"
	"math"
	"testing"

	"loadharness"
)

// MustParseGate parses text or stops the test.
func MustParseGate(tb testing.TB, text string) loadharness.Gate {
	tb.Helper()
	g, err := loadharness.ParseGate(text)
	if err != nil {
		tb.Fatalf("ParseGate(%q): %v", text, err)
	}
	return g
}

func TestGateStringRoundTrip(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"p95 < 2s", "p95 < 2s"},
		{"p99<=5000ms", "p99 <= 5s"},
		{"p(99.9) < 3s", "p99.9 < 3s"},
		{"p(99.90)<3s", "p99.9 < 3s"},
		{"p95{step:map} < 1.5s", "p95{step:map} < 1.5s"},
		{"p95 { step : map } < 1500ms", "p95{step:map} < 1.5s"},
		{"raw_p99 < 2s", "raw_p99 < 2s"},
		{"max < 10s", "max < 10s"},
		{"max < 120s", "max < 2m"},
		{"max < 100000ms", "max < 100s"},
		{"mean < 500ms", "mean < 500ms"},
		{"mean < 0.5s", "mean < 500ms"},
		{"p50 < 0.25ms", "p50 < 250us"},
		{"p50 < 250µs", "p50 < 250us"},
		{"p50 < 0ms", "p50 < 0ms"},
		{"median < 1ms", "median < 1ms"},
		{"error_rate < 0.1%", "error_rate < 0.1%"},
		{"error_rate < 0.001", "error_rate < 0.1%"},
		{"error_rate < 0.3", "error_rate < 30%"},
		{"availability >= 99.9%", "availability >= 99.9%"},
		{"check_rate >= 99.99%", "check_rate >= 99.99%"},
		{"throughput >= 100/s", "throughput >= 100/s"},
		{"throughput >= 100rps", "throughput >= 100/s"},
		{"throughput >= 5/m", "throughput >= 5/m"},
		{"requests >= 1000", "requests >= 1000"},
		{"errors == 0", "errors == 0"},
		{"sessions_lost==0", "sessions_lost == 0"},
		{"checks_failed != 0", "checks_failed != 0"},
		{"serialization_errors == 0", "serialization_errors == 0"},
		{"target:redis_errors_total < 10", "target:redis_errors_total < 10"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			g := MustParseGate(t, tt.text)
			if got := g.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			again := MustParseGate(t, g.String())
			if !again.Equal(g) {
				t.Errorf("ParseGate(String()) = %+v, want %+v", again, g)
			}
		})
	}
}

func TestPercentThresholdIsExact(t *testing.T) {
	// 999 of 1000 requests answered is 99.9% and must meet "availability >= 99.9%".
	g := MustParseGate(t, "availability >= 99.9%")
	measured := 1 - 1.0/1000
	if got, want := g.Threshold, 0.999; got != want {
		t.Errorf("threshold = %v, want %v", got, want)
	}
	if !g.Op.Holds(measured, g.Threshold) {
		t.Errorf("%v does not hold for %v", g, measured)
	}
}

// fakeMeasurer answers from a table keyed by metric name and scope.
type fakeMeasurer map[string]float64

func (f fakeMeasurer) Measure(m loadharness.Metric, s loadharness.Scope) (float64, bool) {
	v, ok := f[s.Scenario+"/"+s.Step+"/"+m.Name]
	return v, ok
}

func TestGateEvaluate(t *testing.T) {
	measure := fakeMeasurer{
		"browse//p95":              734,
		"browse//p99":              2400,
		"browse/map/p95":           900,
		"browse//error_rate":       0.00012,
		"browse//availability":     0.9988,
		"browse//throughput":       153.2,
		"browse//errors":           0,
		"browse//sessions_lost":    2,
		"browse//requests":         1500,
		"//checks_failed":          3,
		"browse//mean":             math.NaN(),
		"browse//raw_p99":          math.Inf(1),
		"browse//sessions_checked": 7,
	}
	tests := []struct {
		name     string
		scenario string
		gate     string
		pass     bool
		missing  bool
		margin   float64
		display  string
	}{
		{"latency headroom", "browse", "p95 < 2s", true, false, 1266, "p95 = 734ms (gate < 2s, margin 1.27s)"},
		{"latency failed", "browse", "p99 < 2s", false, false, -400, "p99 = 2.4s (gate < 2s, missed by 400ms)"},
		{"latency at threshold fails strict", "browse", "p99 < 2.4s", false, false, 0, "p99 = 2.4s (gate < 2.4s, failed at the threshold)"},
		{"latency at threshold holds", "browse", "p99 <= 2.4s", true, false, 0, "p99 = 2.4s (gate <= 2.4s, margin 0ms)"},
		{"step scope", "browse", "p95{step:map} < 1s", true, false, 100, "p95{step:map} = 900ms (gate < 1s, margin 100ms)"},
		{"ratio", "browse", "error_rate < 0.1%", true, false, 0.001 - 0.00012, "error_rate = 0.012% (gate < 0.1%, margin 0.088%)"},
		{"ratio shows digits that decide", "browse", "availability >= 99.9%", false, false, 0.9988 - 0.999, "availability = 99.88% (gate >= 99.9%, missed by 0.02%)"},
		{"rate", "browse", "throughput >= 100/s", true, false, 53.2, "throughput = 153.2/s (gate >= 100/s, margin 53.2/s)"},
		{"count equal holds", "browse", "errors == 0", true, false, 0, "errors = 0 (gate == 0, margin 0)"},
		{"count equal fails", "browse", "sessions_lost == 0", false, false, -2, "sessions_lost = 2 (gate == 0, missed by 2)"},
		{"count not equal", "browse", "sessions_checked != 0", true, false, 7, "sessions_checked = 7 (gate != 0, margin 7)"},
		{"greater", "browse", "requests > 1000", true, false, 500, "requests = 1500 (gate > 1000, margin 500)"},
		{"whole run", "", "checks_failed <= 5", true, false, 2, "checks_failed = 3 (gate <= 5, margin 2)"},
		{"missing metric", "browse", "max < 10s", false, true, 0, "max = n/a (gate < 10s, not measured)"},
		{"missing scenario", "checkout", "p95 < 2s", false, true, 0, "p95 = n/a (gate < 2s, not measured)"},
		{"NaN is missing", "browse", "mean < 1s", false, true, 0, "mean = n/a (gate < 1s, not measured)"},
		{"Inf is missing", "browse", "raw_p99 < 1s", false, true, 0, "raw_p99 = n/a (gate < 1s, not measured)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := MustParseGate(t, tt.gate)
			got := g.Evaluate(tt.scenario, measure)
			if got.Pass != tt.pass || got.Missing != tt.missing {
				t.Errorf("pass, missing = %v, %v, want %v, %v", got.Pass, got.Missing, tt.pass, tt.missing)
			}
			if math.Abs(got.Margin-tt.margin) > 1e-9 {
				t.Errorf("margin = %v, want %v", got.Margin, tt.margin)
			}
			if got.Display != tt.display {
				t.Errorf("display = %q, want %q", got.Display, tt.display)
			}
			if !got.Gate.Equal(g) || got.Scenario != tt.scenario || got.Threshold != g.Threshold {
				t.Errorf("result %+v does not name gate %q on %q", got, g, tt.scenario)
			}
			if got, want := got.Unit, g.Metric.Kind.Unit(); got != want {
				t.Errorf("unit = %q, want %q", got, want)
			}
			if _, err := json.Marshal(got); err != nil {
				t.Errorf("json.Marshal(result): %v", err)
			}
		})
	}
}

func TestGateEvaluateNilMeasurer(t *testing.T) {
	got := MustParseGate(t, "errors == 0").Evaluate("", nil)
	if got.Pass || !got.Missing {
		t.Errorf("with no measurer pass, missing = %v, %v, want false, true", got.Pass, got.Missing)
	}
}

func TestMarginNeverInfinite(t *testing.T) {
	// Thresholds this far apart only come from hand-built gates, but their
	// results must still encode as JSON.
	g := MustParseGate(t, "throughput > 0")
	g.Threshold = -math.MaxFloat64
	got := g.Evaluate("", loadharness.MeasurerFunc(func(loadharness.Metric, loadharness.Scope) (float64, bool) {
		return math.MaxFloat64, true
	}))
	if math.IsInf(got.Margin, 0) {
		t.Errorf("margin = %v, want finite", got.Margin)
	}
	if _, err := json.Marshal(got); err != nil {
		t.Errorf("json.Marshal: %v", err)
	}
}

func TestOpMargin(t *testing.T) {
	tests := []struct {
		op        loadharness.Op
		measured  float64
		threshold float64
		want      float64
	}{
		{loadharness.OpLess, 3, 5, 2},
		{loadharness.OpLessEqual, 7, 5, -2},
		{loadharness.OpGreater, 7, 5, 2},
		{loadharness.OpGreaterEqual, 3, 5, -2},
		{loadharness.OpEqual, 3, 5, -2},
		{loadharness.OpEqual, 5, 5, 0},
		{loadharness.OpNotEqual, 3, 5, 2},
		{loadharness.OpNotEqual, 5, 5, 0},
	}
	for _, tt := range tests {
		t.Run(tt.op.String(), func(t *testing.T) {
			got := tt.op.Margin(tt.measured, tt.threshold)
			if got != tt.want || math.Signbit(got) && got == 0 {
				t.Errorf("%v.Margin(%v, %v) = %v, want %v", tt.op, tt.measured, tt.threshold, got, tt.want)
			}
		})
	}
}

func TestMeasurersFirstAnswerWins(t *testing.T) {
	none := loadharness.MeasurerFunc(func(loadharness.Metric, loadharness.Scope) (float64, bool) { return 0, false })
	seven := loadharness.MeasurerFunc(func(loadharness.Metric, loadharness.Scope) (float64, bool) { return 7, true })
	eight := loadharness.MeasurerFunc(func(loadharness.Metric, loadharness.Scope) (float64, bool) { return 8, true })
	got, ok := loadharness.Measurers{none, seven, eight}.Measure(loadharness.Metric{}, loadharness.Scope{})
	if !ok || got != 7 {
		t.Errorf("Measure = %v, %v, want 7, true", got, ok)
	}
	if _, ok := (loadharness.Measurers{none}).Measure(loadharness.Metric{}, loadharness.Scope{}); ok {
		t.Error("Measure of measurers that cannot tell is ok")
	}
}

func TestKindFormat(t *testing.T) {
	tests := []struct {
		kind loadharness.MetricKind
		v    float64
		want string
	}{
		{loadharness.KindLatency, 734, "734ms"},
		{loadharness.KindLatency, 1266, "1.27s"},
		{loadharness.KindLatency, 2000, "2s"},
		{loadharness.KindLatency, 12.345, "12.3ms"},
		{loadharness.KindLatency, 0.25, "250µs"},
		{loadharness.KindLatency, 0.0005, "500ns"},
		{loadharness.KindLatency, 90000, "1.5m"},
		{loadharness.KindLatency, 0, "0ms"},
		{loadharness.KindLatency, -400, "-400ms"},
		{loadharness.KindRatio, 0.00012, "0.012%"},
		{loadharness.KindRatio, 1, "100%"},
		{loadharness.KindRatio, 0, "0%"},
		{loadharness.KindRate, 153.2, "153.2/s"},
		{loadharness.KindRate, 1234.56, "1235/s"},
		{loadharness.KindCount, 1000, "1000"},
		{loadharness.KindCount, 2.5, "2.5"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.kind.Format(tt.v); got != tt.want {
				t.Errorf("%v.Format(%v) = %q, want %q", tt.kind, tt.v, got, tt.want)
			}
		})
	}
}

func TestKindForUnit(t *testing.T) {
	for _, k := range []loadharness.MetricKind{loadharness.KindLatency, loadharness.KindRatio, loadharness.KindRate, loadharness.KindCount, loadharness.KindValue} {
		got, ok := loadharness.KindForUnit(k.Unit())
		if !ok || got != k {
			t.Errorf("KindForUnit(%q) = %v, %v, want %v, true", k.Unit(), got, ok, k)
		}
	}
	if _, ok := loadharness.KindForUnit("furlongs"); ok {
		t.Error(`KindForUnit("furlongs") is ok`)
	}
}

func TestMetricHelpers(t *testing.T) {
	tests := []struct {
		gate       string
		base       string
		target     string
		fromTarget bool
	}{
		{"raw_max < 1s", "max", "", false},
		{"p95 < 1s", "p95", "", false},
		{"serialization_errors == 0", "serialization_errors", "", true},
		{"target:redis_errors_total == 0", "target:redis_errors_total", "redis_errors_total", true},
	}
	for _, tt := range tests {
		t.Run(tt.gate, func(t *testing.T) {
			m := MustParseGate(t, tt.gate).Metric
			if got := m.Base(); got != tt.base {
				t.Errorf("Base() = %q, want %q", got, tt.base)
			}
			if got := m.TargetName(); got != tt.target {
				t.Errorf("TargetName() = %q, want %q", got, tt.target)
			}
			if got := m.FromTarget(); got != tt.fromTarget {
				t.Errorf("FromTarget() = %v, want %v", got, tt.fromTarget)
			}
		})
	}
}

func BenchmarkEvaluate(b *testing.B) {
	g := MustParseGate(b, "p95{step:map} < 2s")
	m := loadharness.MeasurerFunc(func(loadharness.Metric, loadharness.Scope) (float64, bool) { return 734, true })
	b.ReportAllocs()
	for b.Loop() {
		if r := g.Evaluate("browse", m); !r.Pass {
			b.Fatal("gate failed")
		}
	}
}

func BenchmarkParseGate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := loadharness.ParseGate("p(99.9){step:map} <= 1500ms"); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDecidedByLowerBound(t *testing.T) {
	tests := []struct {
		op           loadharness.Op
		lower, thr   float64
		decided      bool
		whyInComment string
	}{
		{loadharness.OpLess, 5, 3, true, "already past the threshold: a failure"},
		{loadharness.OpLess, 2, 3, false, "the missed counts could push it past"},
		{loadharness.OpLessEqual, 3, 3, false, "holds at the bound, may not hold above it"},
		{loadharness.OpLessEqual, 4, 3, true, "fails"},
		{loadharness.OpGreater, 4, 3, true, "more only makes it hold"},
		{loadharness.OpGreater, 2, 3, false, "the missed counts may make it hold"},
		{loadharness.OpGreaterEqual, 3, 3, true, "holds"},
		{loadharness.OpEqual, 1, 0, true, "past the threshold: never equal"},
		{loadharness.OpEqual, 0, 0, false, "equal only if nothing was missed"},
		{loadharness.OpNotEqual, 1, 0, true, "never equal"},
		{loadharness.OpNotEqual, 0, 0, false, "equal unless something was missed"},
		{0, 1, 0, false, "no operator"},
	}
	for _, tt := range tests {
		if got := tt.op.DecidedByLowerBound(tt.lower, tt.thr); got != tt.decided {
			t.Errorf("%s: DecidedByLowerBound(%v, %v) = %v, want %v (%s)", tt.op, tt.lower, tt.thr, got, tt.decided, tt.whyInComment)
		}
	}
}
