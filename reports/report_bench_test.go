package reports_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"loadharness"
	"loadharness/reports"
	"loadharness/reports/aggregate"
	"loadharness/reports/charts"
)

// millionResults folds n synthetic results of a 500-second run into an
// aggregate: two scenarios one after the other, open model at 2000/s and
// 1000/s, three instances, instance-1 killed at 300 s (a burst of 502s,
// then two instances), a slow tail and a few lost sessions. The results
// stream through Aggregate.Add one at a time, as in a run; no slice of
// them is kept.
func millionResults(tb testing.TB, n int) (*aggregate.Aggregate, reports.Summary) {
	tb.Helper()
	rng := rand.New(rand.NewPCG(11, 12))
	a := aggregate.New(t0)
	var r loadharness.Result
	browse := n * 2 / 3
	for i := range n {
		scenario, at := "browse", time.Duration(i)*250*time.Second/time.Duration(browse)
		if i >= browse {
			scenario, at = "failover", 250*time.Second+time.Duration(i-browse)*250*time.Second/time.Duration(n-browse)
		}
		ms := 40 * math.Exp(0.6*rng.NormFloat64())
		if rng.IntN(1000) == 0 {
			ms = 1500 + 1000*rng.Float64()
		}
		r = loadharness.Result{
			Scenario: scenario, Step: [...]string{"upload", "map", "download"}[i%3],
			User: uint32(1 + i%400), Seq: uint64(i),
			Intended: t0.Add(at), Sent: t0.Add(at + time.Duration(rng.IntN(3))*time.Millisecond),
			Latency: time.Duration(ms * float64(time.Millisecond)), Code: 200,
			Instance: fmt.Sprintf("instance-%d", 1+i%3), Session: loadharness.SessionKept,
		}
		if at >= 300*time.Second {
			r.Instance = fmt.Sprintf("instance-%d", 2+i%2)
			if at < 302*time.Second && i%5 == 0 {
				r.Code, r.Error, r.Instance = 502, "502 Bad Gateway", ""
			}
		}
		a.Add(&r)
	}
	gates := []loadharness.GateResult{}
	for _, g := range []struct{ scenario, text string }{
		{"browse", "p95 < 500ms"}, {"browse", "p99 < 2s"}, {"failover", "availability >= 99.9%"}, {"", "error_rate < 1%"},
	} {
		parsed, err := loadharness.ParseGate(g.text)
		if err != nil {
			tb.Fatal(err)
		}
		gates = append(gates, parsed.Evaluate(g.scenario, a))
	}
	scenarios := reports.BuildScenarioSummaries(a)
	scenarios[0].AskedRPS, scenarios[1].AskedRPS = float64(browse)/250, float64(n-browse)/250
	return a, reports.Summary{
		Verdict: loadharness.Judge(loadharness.Evidence{Gates: gates}).Verdict, Suite: "million", Provider: "process",
		Started: t0, Finished: t0.Add(500 * time.Second),
		Events:    []loadharness.Event{{At: t0.Add(300 * time.Second), Kind: "kill", Target: "instance-1"}},
		Gates:     gates,
		Scenarios: scenarios,
	}
}

// writeEveryArtefact writes what a run leaves behind, to memory: the
// charts (PNG and SVG), report.html, report.md, junit.xml, summary.json.
func writeEveryArtefact(tb testing.TB, in reports.ReportInput) int {
	tb.Helper()
	cs, err := charts.For(in)
	if err != nil {
		tb.Fatal(err)
	}
	size := 0
	in.Charts = nil
	for _, ch := range cs {
		var png, svg bytes.Buffer
		if err := ch.Render(&png, charts.PNG); err != nil {
			tb.Fatal(err)
		}
		if err := ch.Render(&svg, charts.SVG); err != nil {
			tb.Fatal(err)
		}
		size += png.Len() + svg.Len()
		in.Charts = append(in.Charts, reports.ChartImage{
			Name: ch.Name, Title: ch.Title, Caption: ch.Caption, PNG: png.Bytes(), Path: "charts/" + ch.Name + ".png",
		})
	}
	var buf bytes.Buffer
	for _, write := range []func() error{
		func() error { return reports.WriteHTML(&buf, in) },
		func() error { return reports.WriteMarkdown(&buf, in) },
		func() error { return reports.WriteJUnit(&buf, in.Summary) },
		func() error { return reports.WriteSummaryJSON(&buf, in.Summary) },
	} {
		if err := write(); err != nil {
			tb.Fatal(err)
		}
	}
	return size + buf.Len()
}

// TestEveryArtefactForAMillionResults is the budget: aggregating a
// million results and writing every artefact takes under 5 s. Measure it
// with: go test ./reports -run Million -v
func TestEveryArtefactForAMillionResults(t *testing.T) {
	if testing.Short() {
		t.Skip("a million results: skipped in -short mode")
	}
	if raceEnabled {
		t.Skip("timing budget: meaningless under the race detector")
	}
	const n = 1_000_000
	start := time.Now()
	a, summary := millionResults(t, n)
	aggregated := time.Since(start)
	if got := a.Snapshot(loadharness.Scope{}).Requests; got != n {
		t.Fatalf("aggregate holds %d requests, want %d", got, n)
	}
	size := writeEveryArtefact(t, reports.ReportInput{Summary: summary, Aggregate: a})
	total := time.Since(start)
	t.Logf("1,000,000 results: aggregated (generation included) in %v, every artefact (%d KB) in %v more: %v in all",
		aggregated.Round(time.Millisecond), size>>10, (total - aggregated).Round(time.Millisecond), total.Round(time.Millisecond))
	if total > 5*time.Second {
		t.Errorf("a million results took %v, over the 5 s budget", total)
	}
}

// BenchmarkEveryArtefact measures the report alone, on an aggregate of a
// million results: go test ./reports -run '^$' -bench EveryArtefact.
func BenchmarkEveryArtefact(b *testing.B) {
	a, summary := millionResults(b, 1_000_000)
	in := reports.ReportInput{Summary: summary, Aggregate: a}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		writeEveryArtefact(b, in)
	}
}
