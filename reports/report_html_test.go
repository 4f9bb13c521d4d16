package reports_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"loadharness"
	"loadharness/reports"
	"loadharness/reports/internal/fixture"
)

func TestHTMLIsSelfContained(t *testing.T) {
	in := renderedFixture(t)
	var buf bytes.Buffer
	if err := reports.WriteHTML(&buf, in); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if got, want := strings.Count(page, `src="data:image/png;base64,`), len(in.Charts); got != want {
		t.Errorf("%d inlined images, want one per chart: %d", got, want)
	}
	// Nothing may come from the network: no external src, href or CSS url().
	if m := regexp.MustCompile(`(?i)(src|href)="(https?:)?//|url\(`).FindString(page); m != "" {
		t.Errorf("report reaches out to the network: %q", m)
	}
	verdict := page[strings.Index(page, `id="verdict"`):]
	for _, want := range []string{"FAIL", "3 of 9 gates failed", "p99 = 2.5s (gate &lt; 2s, missed by 501ms)"} {
		if !strings.Contains(verdict[:min(len(verdict), 2000)], want) {
			t.Errorf("verdict section lacks %q", want)
		}
	}
	for _, want := range []string{`id="warnings"`, "embedded Redis", `id="gates"`, `id="events"`, "kill", "0123456789abcdef", "miniredis (embedded)"} {
		if !strings.Contains(page, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Index(page, `id="verdict"`) > strings.Index(page, `id="gates"`) {
		t.Error("the verdict does not come before the gates")
	}
}

func TestHTMLEscapes(t *testing.T) {
	s := reports.Summary{Verdict: loadharness.VerdictInvalid, InvalidReasons: []string{`<img src=x onerror="alert(1)">`}}
	var buf bytes.Buffer
	if err := reports.WriteHTML(&buf, reports.ReportInput{Summary: s}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `<img src=x`) {
		t.Error("an invalid reason was written as HTML, not text")
	}
}

func TestWriteHTMLReportsWriteError(t *testing.T) {
	in := fixture.Input(t)
	in.Charts = []reports.ChartImage{}
	err := reports.WriteHTML(failingWriter{}, in)
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteHTML to a failing writer = %v, want the write error", err)
	}
}
