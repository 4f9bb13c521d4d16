package reports_test

import (
	"bytes"
	"strings"
	"testing"

	"loadharness"
	"loadharness/reports"
	"loadharness/reports/internal/fixture"
)

func TestMarkdownGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := reports.WriteMarkdown(&buf, renderedFixture(t)); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "report.md.golden", buf.Bytes())
}

func TestMarkdownVerdictFirst(t *testing.T) {
	tests := []struct {
		name    string
		summary reports.Summary
		want    []string
	}{
		{"pass", reports.Summary{Verdict: loadharness.VerdictPass, Gates: []loadharness.GateResult{{Gate: loadharness.MustParseGate("p95 < 2s"), Unit: "ms", Pass: true}}},
			[]string{"## Verdict: PASS", "Every gate held (1 of 1)."}},
		{"pass without gates", reports.Summary{Verdict: loadharness.VerdictPass},
			[]string{"## Verdict: PASS", "No gate was judged"}},
		{"invalid", reports.Summary{Verdict: loadharness.VerdictInvalid, InvalidReasons: []string{"generator fell behind: sent 80/s of 100/s asked"}},
			[]string{"## Verdict: INVALID", "proves nothing", "### Why the run proves nothing", "- generator fell behind: sent 80/s of 100/s asked"}},
		{"memory sessions", reports.Summary{Verdict: loadharness.VerdictFail, Stack: loadharness.StackShape{SessionStore: "memory"}},
			[]string{"## Verdict: FAIL", "Sessions were kept in worker memory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := reports.WriteMarkdown(&buf, reports.ReportInput{Summary: tt.summary}); err != nil {
				t.Fatal(err)
			}
			got := buf.String()
			for _, want := range tt.want {
				if !strings.Contains(got, want) {
					t.Errorf("report lacks %q:\n%s", want, got)
				}
			}
			if i := strings.Index(got, "## Verdict"); i < 0 || i > strings.Index(got, "## Gates") {
				t.Errorf("the verdict does not come first:\n%s", got)
			}
			if !strings.Contains(got, "No charts") {
				t.Errorf("a report without raw results does not say why it has no charts:\n%s", got)
			}
		})
	}
}

func TestMarkdownEscapes(t *testing.T) {
	s := reports.Summary{
		Verdict:  loadharness.VerdictFail,
		Warnings: []string{"<script>alert(1)</script> | and\na newline"},
		Scenarios: []reports.ScenarioSummary{{Name: "a|b", Figures: reports.Figures{
			Requests: 2, Failed: 2, Errors: map[string]int{"bad `tick` | pipe": 2},
		}}},
	}
	var buf bytes.Buffer
	if err := reports.WriteMarkdown(&buf, reports.ReportInput{Summary: s}); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, bad := range []string{"<script>", "and\na newline"} {
		if strings.Contains(got, bad) {
			t.Errorf("report holds %q unescaped:\n%s", bad, got)
		}
	}
	for _, want := range []string{`| a\|b |`, "``", `&lt;script>`} {
		if !strings.Contains(got, want) {
			t.Errorf("report lacks %q:\n%s", want, got)
		}
	}
}

func TestWriteMarkdownReportsWriteError(t *testing.T) {
	in := fixture.Input(t)
	in.Charts = []reports.ChartImage{} // no charts
	err := reports.WriteMarkdown(failingWriter{}, in)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteMarkdown to a failing writer = %v, want the write error", err)
	}
}
