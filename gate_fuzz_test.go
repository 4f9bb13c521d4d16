package loadharness_test

import (
	"errors"
	"testing"
	"unicode/utf8"

	"loadharness"
)

// FuzzParseGate checks that ParseGate never panics, that every error is a
// *GateError inside the text, and that a parsed gate's String reads back
// into an equal gate.
func FuzzParseGate(f *testing.F) {
	for _, seed := range []string{
		"p95 < 2s", "p99<=5000ms", "p(99.9) < 3s", "p95{step:map} < 1.5s", "raw_p99 < 2s",
		"max < 10s", "mean < 500ms", "median < 1ms", "min > 250µs", "p50 < 500000ns",
		"error_rate < 0.1%", "availability >= 99.9%", "check_rate >= 0.99",
		"throughput >= 100/s", "throughput >= 5/m", "throughput > 50rps",
		"requests >= 1000", "errors == 0", "sessions_lost == 0", "checks_failed != 3",
		"serialization_errors == 0", "target:redis_errors_total < 10",
		"p955 < 2s", "p95 2s", "p95 < 2", "error_rate < 5", "p95 < 2 5s", "p95{scenario:x} < 2s",
		"p(0) < 1s", "p95 < 1.2.3s", "", "{", "p(", "target:", "p95{step:", "max < 1.5m",
		"recovery_time < 5s", "excess_errors <= 5", "reaction_time < 12s", "scale_events >= 2",
		"flaps == 0", "scale_errors == 0", "raw_recovery_time < 1s", "flaps{step:x} == 0",
		`promql("avg(rate(process_cpu_seconds_total{job=\"target\"}[30s]))") < 0.6`,
		"promql(`increase(bad_counter_total[5s])`) == 0", "promql(`x`) > -5", "promql(`x`) < 60%",
		`promql("a\tb\u00e9\x41\377") != 1`, "promql(\"x{a=`b`}\") <= 2", "promql(`a\nb`) >= 0.5",
		"promql(`x`", "promql(`x`) {step:a} < 1", "promql(x) < 1", "promql(``) < 1", `promql("x\q") < 1`,
		"promql < 1", "promql(`\xff`) < 1", "promql(`x`) < -", "promql(`x`) < 1s",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		g, err := loadharness.ParseGate(text)
		if err != nil {
			var gerr *loadharness.GateError
			if !errors.As(err, &gerr) {
				t.Fatalf("ParseGate(%q) error %T is not a *GateError", text, err)
			}
			if n := utf8.RuneCountInString(text); gerr.Column < 1 || gerr.Column > n+1 {
				t.Fatalf("ParseGate(%q) column %d outside 1..%d", text, gerr.Column, n+1)
			}
			return
		}
		canonical := g.String()
		again, err := loadharness.ParseGate(canonical)
		if err != nil {
			t.Fatalf("ParseGate(%q).String() = %q does not parse: %v", text, canonical, err)
		}
		if !again.Equal(g) {
			t.Fatalf("ParseGate(%q) = %+v, but its String %q reads back as %+v", text, g, canonical, again)
		}
		if got := again.String(); got != canonical {
			t.Fatalf("String is not stable: %q then %q", canonical, got)
		}
	})
}
