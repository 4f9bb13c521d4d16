package reports_test

import (
	"bytes"
	"strings"
	"testing"

	"loadharness"
	"loadharness/reports"
	"loadharness/reports/internal/fixture"
)

func TestVerdictTableGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := reports.WriteVerdictTable(&buf, fixture.Summary(t)); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "verdict_table.txt.golden", buf.Bytes())
}

func TestVerdictLine(t *testing.T) {
	pass := loadharness.GateResult{Gate: loadharness.MustParseGate("errors == 0"), Unit: "count", Pass: true}
	fail := loadharness.GateResult{Gate: loadharness.MustParseGate("p95 < 2s"), Unit: "ms", Measured: 2500, Threshold: 2000, Margin: -500}
	missing := loadharness.GateResult{Gate: loadharness.MustParseGate("serialization_errors == 0"), Unit: "count", Missing: true}
	tests := []struct {
		name    string
		summary reports.Summary
		want    string
	}{
		{"pass", reports.Summary{Verdict: loadharness.VerdictPass, Gates: []loadharness.GateResult{pass}}, "VERDICT: PASS\n"},
		{"fail counts gates", reports.Summary{Verdict: loadharness.VerdictFail, Gates: []loadharness.GateResult{pass, fail, missing}}, "VERDICT: FAIL (2 of 3 gates failed)\n"},
		{"fail without gates", reports.Summary{Verdict: loadharness.VerdictFail}, "VERDICT: FAIL\n"},
		{"invalid with reasons", reports.Summary{Verdict: loadharness.VerdictInvalid, InvalidReasons: []string{"generator fell behind by 12%", "CPU at 100%"}}, "VERDICT: INVALID: generator fell behind by 12%; CPU at 100%\n"},
		{"invalid without reasons", reports.Summary{Verdict: loadharness.VerdictInvalid}, "VERDICT: INVALID\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := reports.WriteVerdictTable(&buf, tt.summary); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); !strings.HasSuffix(got, tt.want) {
				t.Errorf("table ends %q, want %q:\n%s", lastLine(got), tt.want, got)
			}
		})
	}
}

func TestVerdictTableRows(t *testing.T) {
	s := reports.Summary{
		Verdict: loadharness.VerdictFail,
		Gates: []loadharness.GateResult{
			{Scenario: "browse", Gate: loadharness.MustParseGate("availability >= 99.9%"), Unit: "ratio", Measured: 0.9988, Threshold: 0.999, Margin: -0.0002},
			{Scenario: "", Gate: loadharness.MustParseGate("serialization_errors == 0"), Unit: "count", Missing: true},
			{Scenario: "x", Gate: loadharness.MustParseGate("p99 < 10ms"), Unit: "ms", Measured: 5, Threshold: 10, Margin: 5, Pass: true},
		},
	}
	var buf bytes.Buffer
	if err := reports.WriteVerdictTable(&buf, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"99.88%", ">= 99.9%", "-0.02%", "FAIL\n", // digits enough to see why it failed
		"(run)", "n/a", "FAIL (not measured)",
		"p99 < 10ms", "5ms", "PASS",
		"no scenarios",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestWriteVerdictTableReportsWriteError(t *testing.T) {
	err := reports.WriteVerdictTable(failingWriter{}, fixture.Summary(t))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteVerdictTable to a failing writer = %v, want the write error", err)
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return lines[len(lines)-1]
}
