package reports_test

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"loadharness"
	"loadharness/reports"
)

// MustRenderCharts renders in's charts or fails the test.
func MustRenderCharts(tb testing.TB, in reports.ReportInput) []reports.Chart {
	tb.Helper()
	charts, err := reports.RenderCharts(in)
	if err != nil {
		tb.Fatalf("RenderCharts: %v", err)
	}
	return charts
}

func TestRenderChartsNames(t *testing.T) {
	charts := renderedFixture(t).Charts
	var got []string
	for _, ch := range charts {
		got = append(got, ch.Name)
	}
	want := []string{
		"latency-browse", "throughput-browse", "instances-browse",
		"latency-failover", "throughput-failover", "instances-failover",
		"latency-distribution", "target-metrics",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("charts = %v, want %v", got, want)
	}
}

func TestChartsAreReadablePNGs(t *testing.T) {
	for _, ch := range renderedFixture(t).Charts {
		t.Run(ch.Name, func(t *testing.T) {
			img, err := png.Decode(bytes.NewReader(ch.PNG))
			if err != nil {
				t.Fatalf("decode PNG: %v", err)
			}
			b := img.Bounds()
			if got, want := b.Dx(), 1100; got != want {
				t.Errorf("width = %d px, want %d", got, want)
			}
			if b.Dy() < 250 || b.Dy() > 2000 {
				t.Errorf("height = %d px, want a readable 250..2000", b.Dy())
			}
			colors, inked := pixelStats(img)
			if colors < 20 {
				t.Errorf("%d distinct colours: the chart looks blank", colors)
			}
			if share := float64(inked) / float64(b.Dx()*b.Dy()); share < 0.02 {
				t.Errorf("%.2f%% of pixels are not background: the chart looks blank", 100*share)
			}
			if !bytes.HasPrefix(ch.SVG, []byte("<?xml")) || !bytes.Contains(ch.SVG, []byte("<svg")) {
				t.Errorf("SVG does not look like SVG: %.80q", ch.SVG)
			}
			if ch.Title == "" || ch.Caption == "" {
				t.Errorf("title %q, caption %q: both are needed in a report", ch.Title, ch.Caption)
			}
		})
	}
}

// pixelStats counts the distinct colours of img and its pixels that are
// not white.
func pixelStats(img image.Image) (colors, inked int) {
	seen := map[[4]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			seen[[4]uint32{r, g, bl, a}] = true
			if r < 0xf000 || g < 0xf000 || bl < 0xf000 {
				inked++
			}
		}
	}
	return len(seen), inked
}

func TestRenderChartsWithoutAggregate(t *testing.T) {
	in := fixtureInput(t)
	in.Aggregate = nil
	charts := MustRenderCharts(t, in)
	if len(charts) != 1 || charts[0].Name != "target-metrics" {
		var names []string
		for _, ch := range charts {
			names = append(names, ch.Name)
		}
		t.Errorf("charts without an aggregate = %v, want only target-metrics", names)
	}
	in.Target = nil
	if charts := MustRenderCharts(t, in); len(charts) != 0 {
		t.Errorf("%d charts from nothing, want 0", len(charts))
	}
}

func TestRenderChartsEdgeCases(t *testing.T) {
	one := loadharness.Result{Scenario: "lone", Step: "map", Sent: fixtureStart, Latency: 30 * time.Millisecond, Code: 200}
	tests := []struct {
		name    string
		results []loadharness.Result
		events  []loadharness.Event
		target  []reports.TargetSample
	}{
		{name: "one request", results: []loadharness.Result{one}},
		{name: "all failed, no instance", results: []loadharness.Result{
			{Scenario: "down", Step: "map", Sent: fixtureStart, Latency: time.Second, Error: "connection refused"},
			{Scenario: "down", Step: "map", Sent: fixtureStart.Add(3 * time.Second), Latency: time.Second, Error: "connection refused"},
		}},
		{name: "event outside the run", results: []loadharness.Result{one}, events: []loadharness.Event{{At: fixtureStart.Add(time.Hour), Kind: "kill"}}},
		{name: "zero latency", results: []loadharness.Result{{Scenario: "z", Step: "x", Sent: fixtureStart, Code: 200}}},
		{name: "counter reset and NaN", results: []loadharness.Result{one}, target: []reports.TargetSample{
			{At: fixtureStart, Values: map[string]float64{"target_requests_total": 10}},
			{At: fixtureStart.Add(time.Second), Values: map[string]float64{"target_requests_total": 2}},
			{At: fixtureStart.Add(2 * time.Second), Values: map[string]float64{"target_requests_total": math.NaN()}},
		}},
		{name: "one target sample", target: []reports.TargetSample{{At: fixtureStart, Values: map[string]float64{"target_queue_depth": 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := MustAggregate(t, fixtureStart, tt.results)
			in := reports.ReportInput{
				Summary:   reports.Summary{Scenarios: reports.BuildScenarioSummaries(a), Events: tt.events},
				Aggregate: a,
				Target:    tt.target,
			}
			for _, ch := range MustRenderCharts(t, in) {
				if _, err := png.Decode(bytes.NewReader(ch.PNG)); err != nil {
					t.Errorf("%s: %v", ch.Name, err)
				}
			}
		})
	}
}

func TestWriteChartsFiles(t *testing.T) {
	dir := t.TempDir()
	files, err := reports.WriteCharts(dir, renderedFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no chart written")
	}
	for _, f := range files {
		for _, name := range []string{f.PNG, f.SVG} {
			st, err := os.Stat(filepath.Join(dir, name))
			if err != nil || st.Size() == 0 {
				t.Errorf("%s: %v (size %v)", name, err, st)
			}
		}
	}
}

func TestPercentiles(t *testing.T) {
	a := MustAggregate(t, fixtureStart, fixtureResults())
	points := a.Percentiles(loadharness.Scope{Scenario: "browse"})
	if len(points) < 10 {
		t.Fatalf("%d percentile points, want a spectrum", len(points))
	}
	for i := 1; i < len(points); i++ {
		if points[i].Percentile < points[i-1].Percentile || points[i].LatencyMS < points[i-1].LatencyMS {
			t.Fatalf("points %d and %d are not monotone: %+v, %+v", i-1, i, points[i-1], points[i])
		}
	}
	last := points[len(points)-1]
	stats := a.Snapshot(loadharness.Scope{Scenario: "browse"})
	if got, want := last.Percentile, 100.0; got != want {
		t.Errorf("last percentile = %v, want %v", got, want)
	}
	if got, want := last.LatencyMS, stats.Latency.Max; got != want {
		t.Errorf("latency at 100%% = %v, want the max %v", got, want)
	}
	if got := a.Percentiles(loadharness.Scope{Scenario: "nothing"}); got != nil {
		t.Errorf("percentiles of an unseen scope = %v, want nil", got)
	}
}

func TestVisitSecondLatencies(t *testing.T) {
	a := MustAggregate(t, fixtureStart, fixtureResults())
	for _, scope := range []loadharness.Scope{{}, {Scenario: "failover"}, {Scenario: "browse", Step: "map"}} {
		perSecond := map[int]int64{}
		a.VisitSecondLatencies(scope, false, func(second int, valueUS, count int64) {
			if valueUS <= 0 || count <= 0 {
				t.Errorf("bucket %d µs × %d", valueUS, count)
			}
			perSecond[second] += count
		})
		for _, s := range a.Seconds(scope) {
			if got, want := perSecond[s.Second], int64(s.Requests); got != want {
				t.Errorf("%+v second %d: buckets hold %d requests, want %d", scope, s.Second, got, want)
			}
		}
	}
}
