package reports_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"loadharness"
	"loadharness/reports"
	"loadharness/reports/internal/fixture"
)

// t0 is when the synthetic runs start.
var t0 = time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)

// syntheticRun makes a run of one scenario ("browse") at rps requests per
// second for secs seconds: log-normal latencies around 50ms, each second
// slower or faster by a few percent (neighbouring requests are alike, as
// in a real run), 0.5% failures, spread over three instances. slowdown
// multiplies every latency: 1.3 is a target 30% slower.
func syntheticRun(seed uint64, secs, rps int, slowdown float64) []loadharness.Result {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]loadharness.Result, 0, secs*rps)
	for s := range secs {
		secondFactor := math.Exp(0.05 * rng.NormFloat64())
		for i := range rps {
			ms := 50 * math.Exp(0.5*rng.NormFloat64()) * secondFactor * slowdown
			sent := t0.Add(time.Duration(s)*time.Second + time.Duration(i)*time.Second/time.Duration(rps))
			r := loadharness.Result{
				Scenario: "browse", Step: "map", User: uint32(1 + i%50), Seq: uint64(s*rps + i),
				Intended: sent, Sent: sent, Latency: time.Duration(ms * float64(time.Millisecond)),
				Code: 200, Instance: []string{"instance-1", "instance-2", "instance-3"}[i%3],
				Session: loadharness.SessionKept,
			}
			if rng.IntN(200) == 0 {
				r.Code, r.Error, r.Session = 503, "503 Service Unavailable", loadharness.SessionUnchecked
			}
			out = append(out, r)
		}
	}
	return out
}

// compareRun aggregates results into one side of a comparison, gated like
// a suite would be.
func compareRun(tb testing.TB, label string, results []loadharness.Result, gates ...string) reports.CompareRun {
	tb.Helper()
	a := fixture.MustAggregate(tb, t0, results)
	s := reports.Summary{Verdict: loadharness.VerdictPass, Suite: "synthetic", Scenarios: reports.BuildScenarioSummaries(a)}
	for _, text := range gates {
		g, err := loadharness.ParseGate(text)
		if err != nil {
			tb.Fatal(err)
		}
		s.Gates = append(s.Gates, g.Evaluate("browse", a))
	}
	s.Verdict = loadharness.Judge(loadharness.Evidence{Gates: s.Gates}).Verdict
	return reports.CompareRun{Label: label, Summary: s, Aggregate: a}
}

func TestCompareFlagsThirtyPercentSlower(t *testing.T) {
	base := compareRun(t, "baseline", syntheticRun(1, 60, 100, 1))
	slow := compareRun(t, "slow", syntheticRun(2, 60, 100, 1.3))
	c := reports.CompareSummaries(base, slow, reports.CompareOptions{})
	if c.Regressions == 0 {
		t.Fatalf("a target 30%% slower was not flagged:\n%s", comparisonText(t, c))
	}
	for _, m := range c.Scenarios[0].Metrics {
		if m.Unit != "ms" {
			continue
		}
		if !m.Regression {
			t.Errorf("%s: verdict %q, want a regression (change %+.1f%%, interval %+.1f%%..%+.1f%%)", m.Metric, m.Verdict, 100*m.Change, 100*m.Low, 100*m.High)
		}
		if m.Low > 0.3 || m.High < 0.3 {
			t.Errorf("%s: interval %+.1f%%..%+.1f%% misses the true +30%%", m.Metric, 100*m.Low, 100*m.High)
		}
	}
}

func TestCompareDoesNotFlagSameDistribution(t *testing.T) {
	for _, seeds := range [][2]uint64{{1, 2}, {3, 4}, {5, 6}} {
		base := compareRun(t, "baseline", syntheticRun(seeds[0], 60, 100, 1), "p95 < 2s", "error_rate < 1%")
		again := compareRun(t, "again", syntheticRun(seeds[1], 60, 100, 1), "p95 < 2s", "error_rate < 1%")
		c := reports.CompareSummaries(base, again, reports.CompareOptions{})
		if c.Regressions != 0 {
			t.Errorf("seeds %v: two runs of the same target flagged %d regression(s):\n%s", seeds, c.Regressions, comparisonText(t, c))
		}
	}
}

func TestCompareNewlyFailingGateWithinNoise(t *testing.T) {
	// A gate set right at the baseline's p95 flips by luck: the bootstrap
	// must call that noise, not a regression.
	results := syntheticRun(1, 60, 100, 1)
	p95 := fixture.MustAggregate(t, t0, results).Snapshot(loadharness.Scope{}).Latency.P95
	gate := "p95 < " + formatMS(p95*1.001)
	base := compareRun(t, "baseline", results, gate)
	var again reports.CompareRun
	for seed := uint64(2); seed < 40; seed++ {
		again = compareRun(t, "again", syntheticRun(seed, 60, 100, 1), gate)
		if again.Summary.Verdict == loadharness.VerdictFail {
			break
		}
	}
	if again.Summary.Verdict != loadharness.VerdictFail {
		t.Skip("no seed tipped the gate")
	}
	c := reports.CompareSummaries(base, again, reports.CompareOptions{})
	g := c.Scenarios[0].Gates[0]
	if got, want := g.Status, reports.GateNewlyFailing; got != want {
		t.Fatalf("status = %q, want %q", got, want)
	}
	if g.Regression {
		t.Errorf("a gate tipped by noise was flagged: %+v", g)
	}
}

func TestCompareWithoutRawResults(t *testing.T) {
	base := compareRun(t, "baseline", syntheticRun(1, 60, 100, 1), "sessions_lost == 0")
	slow := compareRun(t, "slow", syntheticRun(2, 60, 100, 1.3), "sessions_lost == 0")
	base.Aggregate, slow.Aggregate = nil, nil
	c := reports.CompareSummaries(base, slow, reports.CompareOptions{})
	if got, want := c.Regressions, 0; got != want {
		t.Errorf("regressions = %d, want %d: untested changes are shown, not flagged", got, want)
	}
	for _, m := range c.Scenarios[0].Metrics {
		if m.Tested || m.Verdict != reports.ChangeNotTested {
			t.Errorf("%s: tested=%v verdict=%q without raw results", m.Metric, m.Tested, m.Verdict)
		}
	}
	if len(c.Notes) == 0 || !strings.Contains(c.Notes[0], "no raw results") {
		t.Errorf("notes = %q, want a note that nothing was tested", c.Notes)
	}
}

func TestCompareUntestableGateFlipIsRegression(t *testing.T) {
	// sessions_lost counts users: no resampling of seconds can say whether
	// 0 becoming 3 is noise, so a gate on it that starts failing is flagged.
	base := compareRun(t, "baseline", syntheticRun(1, 60, 100, 1), "sessions_lost == 0")
	worse := compareRun(t, "worse", syntheticRun(1, 60, 100, 1), "sessions_lost == 0")
	g := &worse.Summary.Gates[0]
	g.Measured, g.Pass, g.Margin = 3, false, -3
	c := reports.CompareSummaries(base, worse, reports.CompareOptions{})
	gc := c.Scenarios[0].Gates[0]
	if gc.Status != reports.GateNewlyFailing || !gc.Regression {
		t.Errorf("gate change = %+v, want a newly failing regression", gc)
	}
	if got, want := c.Regressions, 1; got != want {
		t.Errorf("regressions = %d, want %d (the same results otherwise)", got, want)
	}
}

func TestWriteComparisonFormats(t *testing.T) {
	base := compareRun(t, "runs/monday", syntheticRun(1, 30, 50, 1), "p95 < 2s")
	slow := compareRun(t, "runs/tuesday", syntheticRun(2, 30, 50, 1.3), "p95 < 2s")
	c := reports.CompareSummaries(base, slow, reports.CompareOptions{Resamples: 200})
	tests := []struct {
		format reports.CompareFormat
		want   []string
	}{
		{reports.CompareText, []string{"COMPARISON: runs/monday (baseline) -> runs/tuesday", "METRIC", "REGRESSION", "METHOD: Block bootstrap", "RESULT: "}},
		{reports.CompareMarkdown, []string{"# Comparison: runs/tuesday against runs/monday", "| Metric |", "**REGRESSION", "### Method"}},
		{reports.CompareJSON, []string{`"regressions": `, `"method": "Block bootstrap`, `"verdict": "regression"`}},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			var buf bytes.Buffer
			if err := reports.WriteComparison(&buf, c, tt.format); err != nil {
				t.Fatal(err)
			}
			for _, want := range tt.want {
				if !strings.Contains(buf.String(), want) {
					t.Errorf("%s output lacks %q:\n%s", tt.format, want, buf.String())
				}
			}
		})
	}
	var back reports.Comparison
	var buf bytes.Buffer
	if err := reports.WriteComparison(&buf, c, reports.CompareJSON); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("comparison JSON does not read back: %v", err)
	}
	if got, want := back.Regressions, c.Regressions; got != want {
		t.Errorf("regressions after a JSON round trip = %d, want %d", got, want)
	}
}

func TestParseCompareFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    reports.CompareFormat
		wantErr bool
	}{
		{"text", reports.CompareText, false},
		{"", reports.CompareText, false},
		{"markdown", reports.CompareMarkdown, false},
		{"md", reports.CompareMarkdown, false},
		{"json", reports.CompareJSON, false},
		{"xml", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := reports.ParseCompareFormat(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseCompareFormat(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func comparisonText(tb testing.TB, c reports.Comparison) string {
	tb.Helper()
	var buf bytes.Buffer
	if err := reports.WriteComparison(&buf, c, reports.CompareText); err != nil {
		tb.Fatal(err)
	}
	return buf.String()
}

// formatMS writes a latency in milliseconds as a gate threshold.
func formatMS(ms float64) string {
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(ms, 'f', 3, 64), "0"), ".") + "ms"
}

// TestCompareHistoryMeasuresRunToRunNoise: the reference baseline alone
// says a 30% slower run regressed; two earlier nights as slow as that show
// it is run-to-run noise. A run slower than every night is flagged.
func TestCompareHistoryMeasuresRunToRunNoise(t *testing.T) {
	nights := []reports.CompareRun{
		compareRun(t, "night-1", syntheticRun(11, 60, 100, 1.35)),
		compareRun(t, "night-2", syntheticRun(12, 60, 100, 1.25)),
		compareRun(t, "night-3", syntheticRun(13, 60, 100, 1.0)),
	}
	alike := compareRun(t, "tonight", syntheticRun(14, 60, 100, 1.3))
	if c := reports.CompareSummaries(nights[2], alike, reports.CompareOptions{}); c.Regressions == 0 {
		t.Fatalf("against the last night alone, a 30%% slower run is no regression: %+v", c.Scenarios[0].Metrics)
	}
	c := reports.CompareHistory(nights, alike, reports.CompareOptions{})
	if c.Regressions != 0 || c.Baselines != 3 {
		t.Errorf("regressions = %d over %d baselines, want 0: the nights spread as far", c.Regressions, c.Baselines)
	}
	if !strings.Contains(strings.Join(c.Notes, "\n"), "run-to-run (3 baselines") {
		t.Errorf("notes %q do not say what noise was measured", c.Notes)
	}
	worse := compareRun(t, "tonight", syntheticRun(15, 60, 100, 2))
	if c := reports.CompareHistory(nights, worse, reports.CompareOptions{}); c.Regressions == 0 {
		t.Errorf("a run twice as slow as the last night, slower than every night, is no regression")
	}
	one := reports.CompareSummaries(nights[2], alike, reports.CompareOptions{})
	if !strings.Contains(strings.Join(one.Notes, "\n"), "within-run only") || !strings.Contains(strings.Join(one.Notes, "\n"), "Holm") {
		t.Errorf("one baseline: notes %q should say within-run noise only and name the correction", one.Notes)
	}
}
