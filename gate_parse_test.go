package loadharness_test

import (
	"errors"
	"strings"
	"testing"

	"loadharness"
)

func TestParseGateMetrics(t *testing.T) {
	latency := func(name string, q float64, raw bool) loadharness.Metric {
		return loadharness.Metric{Name: name, Kind: loadharness.KindLatency, Quantile: q, Raw: raw}
	}
	named := func(name string, k loadharness.MetricKind) loadharness.Metric {
		return loadharness.Metric{Name: name, Kind: k}
	}
	tests := []struct {
		name string
		text string
		want loadharness.Gate
	}{
		{"quantile", "p95 < 2s", loadharness.Gate{Metric: latency("p95", 95, false), Op: loadharness.OpLess, Threshold: 2000}},
		{"quantile no spaces", "p99<=5000ms", loadharness.Gate{Metric: latency("p99", 99, false), Op: loadharness.OpLessEqual, Threshold: 5000}},
		{"decimal quantile", "p99.9 < 3s", loadharness.Gate{Metric: latency("p99.9", 99.9, false), Op: loadharness.OpLess, Threshold: 3000}},
		{"two decimal quantile", "p99.99 < 3s", loadharness.Gate{Metric: latency("p99.99", 99.99, false), Op: loadharness.OpLess, Threshold: 3000}},
		{"paren quantile", "p(99.9) < 3s", loadharness.Gate{Metric: latency("p99.9", 99.9, false), Op: loadharness.OpLess, Threshold: 3000}},
		{"paren quantile spaced", " p ( 99.9 ) <  3 s ", loadharness.Gate{Metric: latency("p99.9", 99.9, false), Op: loadharness.OpLess, Threshold: 3000}},
		{"p100 is the maximum", "p100 < 3s", loadharness.Gate{Metric: latency("p100", 100, false), Op: loadharness.OpLess, Threshold: 3000}},
		{"step selector", "p95{step:map} < 1.5s", loadharness.Gate{Metric: latency("p95", 95, false), Step: "map", Op: loadharness.OpLess, Threshold: 1500}},
		{"step selector spaced", "p95 { step : map } < 1.5s", loadharness.Gate{Metric: latency("p95", 95, false), Step: "map", Op: loadharness.OpLess, Threshold: 1500}},
		{"phase selector", "p95{phase:setup} < 1s", loadharness.Gate{Metric: latency("p95", 95, false), Phase: loadharness.PhaseSetup, Op: loadharness.OpLess, Threshold: 1000}},
		{"step and phase", "error_rate{step:login, phase:setup} < 1%", loadharness.Gate{Metric: named("error_rate", loadharness.KindRatio), Step: "login", Phase: loadharness.PhaseSetup, Op: loadharness.OpLess, Threshold: 0.01}},
		{"main phase named", "p95{phase:main} < 1s", loadharness.Gate{Metric: latency("p95", 95, false), Op: loadharness.OpLess, Threshold: 1000}},
		{"setup failed", "setup_failed == 0", loadharness.Gate{Metric: named("setup_failed", loadharness.KindCount), Op: loadharness.OpEqual, Threshold: 0}},
		{"dropped", "dropped == 0", loadharness.Gate{Metric: named("dropped", loadharness.KindCount), Op: loadharness.OpEqual, Threshold: 0}},
		{"raw quantile", "raw_p99 < 2s", loadharness.Gate{Metric: latency("raw_p99", 99, true), Op: loadharness.OpLess, Threshold: 2000}},
		{"raw paren quantile", "raw_p(99.5) < 2s", loadharness.Gate{Metric: latency("raw_p99.5", 99.5, true), Op: loadharness.OpLess, Threshold: 2000}},
		{"raw max", "raw_max < 2s", loadharness.Gate{Metric: latency("raw_max", 0, true), Op: loadharness.OpLess, Threshold: 2000}},
		{"min", "min > 1ms", loadharness.Gate{Metric: latency("min", 0, false), Op: loadharness.OpGreater, Threshold: 1}},
		{"max", "max < 10s", loadharness.Gate{Metric: latency("max", 0, false), Op: loadharness.OpLess, Threshold: 10000}},
		{"mean", "mean < 500ms", loadharness.Gate{Metric: latency("mean", 0, false), Op: loadharness.OpLess, Threshold: 500}},
		{"median", "median < 200ms", loadharness.Gate{Metric: latency("median", 50, false), Op: loadharness.OpLess, Threshold: 200}},
		{"nanoseconds", "p50 < 500000ns", loadharness.Gate{Metric: latency("p50", 50, false), Op: loadharness.OpLess, Threshold: 0.5}},
		{"microseconds", "p50 < 250us", loadharness.Gate{Metric: latency("p50", 50, false), Op: loadharness.OpLess, Threshold: 0.25}},
		{"micro sign", "p50 < 250µs", loadharness.Gate{Metric: latency("p50", 50, false), Op: loadharness.OpLess, Threshold: 0.25}},
		{"greek mu", "p50 < 250μs", loadharness.Gate{Metric: latency("p50", 50, false), Op: loadharness.OpLess, Threshold: 0.25}},
		{"minutes", "max < 1.5m", loadharness.Gate{Metric: latency("max", 0, false), Op: loadharness.OpLess, Threshold: 90000}},
		{"error rate percent", "error_rate < 0.1%", loadharness.Gate{Metric: named("error_rate", loadharness.KindRatio), Op: loadharness.OpLess, Threshold: 0.001}},
		{"error rate fraction", "error_rate < 0.001", loadharness.Gate{Metric: named("error_rate", loadharness.KindRatio), Op: loadharness.OpLess, Threshold: 0.001}},
		{"availability", "availability >= 99.9%", loadharness.Gate{Metric: named("availability", loadharness.KindRatio), Op: loadharness.OpGreaterEqual, Threshold: 0.999}},
		{"check rate", "check_rate >= 1", loadharness.Gate{Metric: named("check_rate", loadharness.KindRatio), Op: loadharness.OpGreaterEqual, Threshold: 1}},
		{"throughput per second", "throughput >= 100/s", loadharness.Gate{Metric: named("throughput", loadharness.KindRate), Op: loadharness.OpGreaterEqual, Threshold: 100}},
		{"throughput per minute", "throughput >= 600/m", loadharness.Gate{Metric: named("throughput", loadharness.KindRate), Op: loadharness.OpGreaterEqual, Threshold: 10}},
		{"throughput rps", "throughput > 50rps", loadharness.Gate{Metric: named("throughput", loadharness.KindRate), Op: loadharness.OpGreater, Threshold: 50}},
		{"throughput bare", "throughput > 50", loadharness.Gate{Metric: named("throughput", loadharness.KindRate), Op: loadharness.OpGreater, Threshold: 50}},
		{"requests", "requests >= 1000", loadharness.Gate{Metric: named("requests", loadharness.KindCount), Op: loadharness.OpGreaterEqual, Threshold: 1000}},
		{"errors", "errors == 0", loadharness.Gate{Metric: named("errors", loadharness.KindCount), Op: loadharness.OpEqual, Threshold: 0}},
		{"sessions checked", "sessions_checked != 0", loadharness.Gate{Metric: named("sessions_checked", loadharness.KindCount), Op: loadharness.OpNotEqual, Threshold: 0}},
		{"sessions lost", "sessions_lost == 0", loadharness.Gate{Metric: named("sessions_lost", loadharness.KindCount), Op: loadharness.OpEqual, Threshold: 0}},
		{"checks failed", "checks_failed <= 3", loadharness.Gate{Metric: named("checks_failed", loadharness.KindCount), Op: loadharness.OpLessEqual, Threshold: 3}},
		{"serialization errors", "serialization_errors == 0", loadharness.Gate{Metric: named("serialization_errors", loadharness.KindCount), Op: loadharness.OpEqual, Threshold: 0}},
		{"target counter", "target:redis_errors_total == 0", loadharness.Gate{Metric: named("target:redis_errors_total", loadharness.KindCount), Op: loadharness.OpEqual, Threshold: 0}},
		{"target counter with colon", "target : job:errors:rate5m < 3", loadharness.Gate{Metric: named("target:job:errors:rate5m", loadharness.KindCount), Op: loadharness.OpLess, Threshold: 3}},
		{"tabs and newlines", "\tp95\n<\t2s\n", loadharness.Gate{Metric: latency("p95", 95, false), Op: loadharness.OpLess, Threshold: 2000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadharness.ParseGate(tt.text)
			if err != nil {
				t.Fatalf("ParseGate(%q): %v", tt.text, err)
			}
			want := tt.want
			want.Source = tt.text
			if got != want {
				t.Errorf("ParseGate(%q) = %+v, want %+v", tt.text, got, want)
			}
		})
	}
}

func TestParseGateOps(t *testing.T) {
	tests := []struct {
		text string
		want loadharness.Op
	}{
		{"errors < 1", loadharness.OpLess},
		{"errors <= 1", loadharness.OpLessEqual},
		{"errors > 1", loadharness.OpGreater},
		{"errors >= 1", loadharness.OpGreaterEqual},
		{"errors == 1", loadharness.OpEqual},
		{"errors != 1", loadharness.OpNotEqual},
	}
	for _, tt := range tests {
		t.Run(tt.want.String(), func(t *testing.T) {
			g, err := loadharness.ParseGate(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			if got := g.Op; got != tt.want {
				t.Errorf("op of %q = %v, want %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestParseGateErrors(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		column  int
		message string // a fragment the message must hold
	}{
		{"empty", "", 1, "missing metric"},
		{"blank", "   ", 4, "missing metric"},
		{"not a metric", "< 2s", 1, "expected a metric"},
		{"unknown metric with suggestion", "eror_rate < 1%", 1, `unknown metric "eror_rate": did you mean error_rate?`},
		{"unknown metric after spaces", "   latency < 2s", 4, `unknown metric "latency"`},
		{"unknown metric lists metrics", "foo < 2s", 1, "p50..p99.99"},
		{"uppercase suggests lowercase", "P95 < 2s", 1, "did you mean p95?"},
		{"raw on a ratio", "raw_error_rate < 1%", 1, "latency metrics only"},
		{"quantile out of range", "p955 < 2s", 1, "did you mean p95?"},
		{"quantile zero", "p0 < 2s", 1, "out of range"},
		{"paren quantile out of range", "p(100.5) < 2s", 3, "out of range"},
		{"paren quantile missing", "p() < 2s", 3, "missing quantile"},
		{"paren quantile bad", "p(9.9.9) < 2s", 3, `bad quantile "9.9.9"`},
		{"paren quantile unclosed", "p(99 < 2s", 6, "missing )"},
		{"target without name", "target: == 0", 9, "Prometheus metric name"},
		{"target name starts with digit", "target:9x == 0", 8, "Prometheus metric name"},
		{"missing op", "p95 2s", 5, "missing operator after p95"},
		{"missing op at end", "p95", 4, "missing operator after p95"},
		{"missing op after step", "p95{step:map}", 14, "missing operator after p95{step:map}"},
		{"single equals", "errors = 0", 8, "did you mean ==?"},
		{"reversed le", "errors =< 0", 8, "did you mean <=?"},
		{"unknown op", "errors <> 0", 8, `unknown operator "<>"`},
		{"missing threshold", "p95 <", 6, "missing threshold"},
		{"threshold not a number", "p95 < fast", 7, `found "fast"`},
		{"negative threshold", "p95 < -2s", 7, "must not be negative"},
		{"bad number", "p95 < 1.2.3s", 7, `bad number "1.2.3"`},
		{"lone point", "p95 < .s", 7, `bad number "."`},
		{"number too large", "requests > 1" + strings.Repeat("0", 400), 12, "too large"},
		{"latency without unit", "p95 < 2", 7, "latency needs a unit"},
		{"latency with percent", "p95 < 2%", 8, `unit "%" does not fit p95`},
		{"latency unknown unit", "p95 < 2h", 8, "want ns, us, ms, s or m"},
		{"ratio with seconds", "error_rate < 1s", 15, `unit "s" does not fit error_rate`},
		{"ratio bare above one", "error_rate < 5", 14, "did you mean 5%?"},
		{"ratio above 100 percent", "availability >= 101%", 17, "cannot exceed 100%"},
		{"rate with ms", "throughput > 5ms", 15, `unit "ms" does not fit throughput`},
		{"rate per hour", "throughput > 5/h", 15, `unit "/h"`},
		{"count with unit", "requests > 5s", 13, "want a bare number"},
		{"count with percent", "errors < 1%", 11, `unit "%"`},
		{"count fraction", "errors < 0.5", 10, "whole events"},
		{"trailing junk", "p95 < 2s please", 10, `unexpected "please"`},
		{"trailing number", "p95 < 2 5s", 9, `unexpected "5s"`},
		{"trailing symbol", "p95 < 2s;", 9, `unexpected ";"`},
		{"comma decimal", "p95 < 2,5s", 8, `unexpected ",5s"`},
		{"unknown selector", "p95{scenario:x} < 2s", 5, `unknown selector "scenario"`},
		{"empty selector", "p95{} < 2s", 5, "missing selector"},
		{"selector without colon", "p95{step map} < 2s", 10, "missing : after step"},
		{"selector without name", "p95{step:} < 2s", 10, "missing step name"},
		{"selector unclosed", "p95{step:map < 2s", 14, "missing }"},
		{"selector on target metric", "serialization_errors{step:map} == 0", 21, "scraped from the target"},
		{"unknown phase", "p95{phase:ramp} < 2s", 11, `unknown phase "ramp"`},
		{"phase twice", "p95{phase:setup,phase:main} < 2s", 17, "selector phase given twice"},
		{"not ascii", "µµ < 2s", 1, `expected a metric, found "µµ"`},
		{"columns after multibyte", "p50 < 2µs µ", 11, `unexpected "µ"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadharness.ParseGate(tt.text)
			if err == nil {
				t.Fatalf("ParseGate(%q) succeeded, want an error at column %d", tt.text, tt.column)
			}
			var gerr *loadharness.GateError
			if !errors.As(err, &gerr) {
				t.Fatalf("ParseGate(%q) error %T is not a *GateError", tt.text, err)
			}
			if got, want := gerr.Column, tt.column; got != want {
				t.Errorf("ParseGate(%q) column = %d, want %d (%v)", tt.text, got, want, err)
			}
			if !strings.Contains(gerr.Msg, tt.message) {
				t.Errorf("ParseGate(%q) message = %q, want it to hold %q", tt.text, gerr.Msg, tt.message)
			}
			if got, want := err.Error(), "column "; !strings.HasPrefix(got, want) {
				t.Errorf("Error() = %q, want prefix %q", got, want)
			}
		})
	}
}

func TestParseGatesReportsEveryProblem(t *testing.T) {
	gates, err := loadharness.ParseGates([]string{"p95 < 2s", "p95 < 2", "errors == 0", "eror_rate < 1%"})
	if got, want := len(gates), 2; got != want {
		t.Errorf("parsed %d gates, want %d", got, want)
	}
	if err == nil {
		t.Fatal("ParseGates succeeded, want two errors")
	}
	msg := err.Error()
	for _, want := range []string{`gate "p95 < 2": column 7`, `gate "eror_rate < 1%": column 1`} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not hold %q", msg, want)
		}
	}
	var gerr *loadharness.GateError
	if !errors.As(err, &gerr) {
		t.Errorf("errors.As(%T, *GateError) = false, want true", err)
	}
}

func TestGateUnmarshalText(t *testing.T) {
	var g loadharness.Gate
	if err := g.UnmarshalText([]byte("p95{step:map} < 1.5s")); err != nil {
		t.Fatal(err)
	}
	text, err := g.MarshalText()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(text), "p95{step:map} < 1.5s"; got != want {
		t.Errorf("MarshalText = %q, want %q", got, want)
	}
	if err := g.UnmarshalText([]byte("p95 <")); err == nil {
		t.Error("UnmarshalText of a bad gate succeeded")
	}
}
