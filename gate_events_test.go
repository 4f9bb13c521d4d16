package loadharness_test

import (
	"errors"
	"strings"
	"testing"

	"loadharness"
)

func TestEventMetricGates(t *testing.T) {
	tests := []struct {
		text      string
		want      string
		kind      loadharness.MetricKind
		threshold float64
	}{
		{"recovery_time < 5s", "recovery_time < 5s", loadharness.KindLatency, 5000},
		{"recovery_time<=1500ms", "recovery_time <= 1.5s", loadharness.KindLatency, 1500},
		{"excess_errors == 0", "excess_errors == 0", loadharness.KindCount, 0},
		{"excess_errors <= 5", "excess_errors <= 5", loadharness.KindCount, 5},
		{"reaction_time < 12s", "reaction_time < 12s", loadharness.KindLatency, 12000},
		{"scale_events >= 2", "scale_events >= 2", loadharness.KindCount, 2},
		{"flaps == 0", "flaps == 0", loadharness.KindCount, 0},
		{"scale_errors == 0", "scale_errors == 0", loadharness.KindCount, 0},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			g := MustParseGate(t, tt.text)
			if got, want := g.String(), tt.want; got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
			if got, want := g.Metric.Kind, tt.kind; got != want {
				t.Errorf("kind = %s, want %s", got, want)
			}
			if got, want := g.Threshold, tt.threshold; got != want {
				t.Errorf("threshold = %v, want %v", got, want)
			}
			if !g.Metric.FromEvents() {
				t.Errorf("FromEvents() = false for %s", g.Metric.Name)
			}
			if g.Metric.FromTarget() {
				t.Errorf("FromTarget() = true for %s", g.Metric.Name)
			}
		})
	}
}

func TestEventMetricGateErrors(t *testing.T) {
	tests := []struct {
		text   string
		column int
		msg    string
	}{
		{"recovery_time < 5", 17, "latency needs a unit"},
		{"raw_recovery_time < 5s", 1, "raw_ applies to request latencies only"},
		{"recovery_time{step:map} < 5s", 14, "measured around the scenario's events and has no steps"},
		{"flaps{step:map} == 0", 6, "has no steps"},
		{"excess_errors <= 1.5", 18, "counts whole events"},
		{"scale_events < 2s", 17, `unit "s" does not fit scale_events`},
		{"recovery_tme < 5s", 1, "did you mean recovery_time?"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			_, err := loadharness.ParseGate(tt.text)
			var ge *loadharness.GateError
			if !errors.As(err, &ge) {
				t.Fatalf("ParseGate(%q) = %v, want a *GateError", tt.text, err)
			}
			if got, want := ge.Column, tt.column; got != want {
				t.Errorf("column = %d, want %d (%s)", got, want, ge.Msg)
			}
			if !strings.Contains(ge.Msg, tt.msg) {
				t.Errorf("message %q does not contain %q", ge.Msg, tt.msg)
			}
		})
	}
}

func TestFromEventsIsFalseForResultMetrics(t *testing.T) {
	for _, text := range []string{"p95 < 2s", "max < 1s", "errors == 0", "sessions_lost == 0", "serialization_errors == 0", "target:x_total == 0"} {
		if MustParseGate(t, text).Metric.FromEvents() {
			t.Errorf("%s: FromEvents() = true", text)
		}
	}
}
