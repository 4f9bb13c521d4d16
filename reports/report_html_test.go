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

// TestHTMLLeadsWithEvidenceAndShowsStepsAndBaseline checks the sections a
// release manager signs off from: what the verdict rests on, right after
// it; the service's version and the suite's digest; each step's status
// codes and errors, its max and its bytes; and, given a baseline, the
// comparison with its intervals, a regression marked.
func TestHTMLLeadsWithEvidenceAndShowsStepsAndBaseline(t *testing.T) {
	in := fixture.Input(t)
	in.Environment.ServiceVersion = "shop 2.14.0-rc1"
	in.Environment.SuiteDigest = "sha256:0f1e2d"
	withSlowerBaseline(t, &in)
	var buf bytes.Buffer
	if err := reports.WriteHTML(&buf, in); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	section := func(id string) string {
		i := strings.Index(page, `id="`+id+`"`)
		if i < 0 {
			t.Fatalf("no section %q", id)
		}
		end := strings.Index(page[i:], "</section>")
		if end < 0 {
			end = strings.Index(page[i:], "</table>")
		}
		return page[i : i+end]
	}
	evidence := section("evidence")
	for _, want := range []string{"9 gates judged on the main phase of 2 scenario(s): 800 requests measured", "15 users&#39; sessions checked, 2 lost", "shop 2.14.0-rc1", "sha256:0f1e2d"} {
		if !strings.Contains(evidence, want) {
			t.Errorf("evidence lacks %q:\n%s", want, evidence)
		}
	}
	if strings.Index(page, `id="evidence"`) > strings.Index(page, `id="gates"`) {
		t.Error("the evidence does not come before the gates")
	}
	statuses := section("statuses")
	for _, want := range []string{"<code>200</code> × 190", "<code>502</code> × 10", "<code>502 Bad Gateway</code> × 10", "<code>no response</code> × 1"} {
		if !strings.Contains(statuses, want) {
			t.Errorf("status table lacks %q", want)
		}
	}
	steps := section("steps")
	for _, want := range []string{"<th>Max</th>", "<th>Received</th>", "2.51s", "12.5 MiB"} {
		if !strings.Contains(steps, want) {
			t.Errorf("step table lacks %q", want)
		}
	}
	baseline := section("baseline")
	for _, want := range []string{"out/last-night", "regression(s)", `<tr class="failed"><td>browse</td><td>p95</td>`, " .. "} {
		if !strings.Contains(baseline, want) {
			t.Errorf("baseline section lacks %q:\n%s", want, baseline)
		}
	}
	in.Baseline = nil
	buf.Reset()
	if err := reports.WriteHTML(&buf, in); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), `id="baseline"`) {
		t.Error("a report without a baseline has a baseline section")
	}
}

// withSlowerBaseline gives in a comparison with a baseline run that
// answered every request in a third of the time: a regression.
func withSlowerBaseline(t *testing.T, in *reports.ReportInput) {
	t.Helper()
	fast := fixture.Results()
	for i := range fast {
		fast[i].Latency /= 3
	}
	baseAgg := fixture.MustAggregate(t, fixture.Start, fast)
	base := in.Summary
	base.Scenarios = reports.BuildScenarioSummaries(baseAgg)
	cmp := reports.CompareSummaries(reports.CompareRun{Label: "out/last-night", Summary: base, Aggregate: baseAgg},
		reports.CompareRun{Label: "out/now", Summary: in.Summary, Aggregate: in.Aggregate}, reports.CompareOptions{})
	if cmp.Regressions == 0 {
		t.Fatalf("a run three times slower than its baseline shows no regression: %+v", cmp)
	}
	in.Baseline = &cmp
}
