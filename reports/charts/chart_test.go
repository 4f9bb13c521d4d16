package charts_test

import (
	"bytes"
	"image"
	"image/png"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"loadharness"
	"loadharness/reports"
	"loadharness/reports/charts"
	"loadharness/reports/internal/fixture"
)

// MustFor draws in's charts or fails the test.
func MustFor(tb testing.TB, in reports.ReportInput) []charts.Chart {
	tb.Helper()
	cs, err := charts.For(in)
	if err != nil {
		tb.Fatalf("For: %v", err)
	}
	return cs
}

// MustRender renders ch in format or fails the test.
func MustRender(tb testing.TB, ch charts.Chart, format charts.Format) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := ch.Render(&buf, format); err != nil {
		tb.Fatalf("Render(%s): %v", format, err)
	}
	return buf.Bytes()
}

// renderedChart is a chart with its images.
type renderedChart struct {
	charts.Chart
	PNG, SVG []byte
}

var (
	fixtureChartsOnce sync.Once
	fixtureCharts     []renderedChart
	fixtureChartsErr  error
)

// renderedFixture is the fixture's charts, drawn and rendered once for
// every test that needs them: rendering is the slow part, and the race
// detector makes it slower still.
func renderedFixture(tb testing.TB) []renderedChart {
	tb.Helper()
	in := fixture.Input(tb)
	fixtureChartsOnce.Do(func() {
		cs, err := charts.For(in)
		if err != nil {
			fixtureChartsErr = err
			return
		}
		for _, ch := range cs {
			var png, svg bytes.Buffer
			if err := ch.Render(&png, charts.PNG); err != nil {
				fixtureChartsErr = err
				return
			}
			if err := ch.Render(&svg, charts.SVG); err != nil {
				fixtureChartsErr = err
				return
			}
			fixtureCharts = append(fixtureCharts, renderedChart{Chart: ch, PNG: png.Bytes(), SVG: svg.Bytes()})
		}
	})
	if fixtureChartsErr != nil {
		tb.Fatalf("render the fixture's charts: %v", fixtureChartsErr)
	}
	return fixtureCharts
}

func TestForNames(t *testing.T) {
	var got []string
	for _, ch := range MustFor(t, fixture.Input(t)) {
		got = append(got, ch.Name)
	}
	want := []string{
		"latency-browse", "steps-browse", "throughput-browse", "users-browse", "instances-browse",
		"latency-failover", "throughput-failover", "users-failover", "instances-failover",
		"latency-distribution", "target-load", "target-work", "target-trouble", "target-redis", "target-memory",
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("charts = %v, want %v", got, want)
	}
}

func TestChartsAreReadablePNGs(t *testing.T) {
	for _, ch := range renderedFixture(t) {
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

func TestForWithoutAggregate(t *testing.T) {
	in := fixture.Input(t)
	in.Aggregate = nil
	cs := MustFor(t, in)
	if len(cs) == 0 || !strings.HasPrefix(cs[0].Name, "target-") || !strings.HasPrefix(cs[len(cs)-1].Name, "target-") {
		var names []string
		for _, ch := range cs {
			names = append(names, ch.Name)
		}
		t.Errorf("charts without an aggregate = %v, want only the target's", names)
	}
	in.Target = nil
	if cs := MustFor(t, in); len(cs) != 0 {
		t.Errorf("%d charts from nothing, want 0", len(cs))
	}
}

func TestForEdgeCases(t *testing.T) {
	one := loadharness.Result{Scenario: "lone", Step: "map", Sent: fixture.Start, Latency: 30 * time.Millisecond, Code: 200}
	tests := []struct {
		name    string
		results []loadharness.Result
		events  []loadharness.Event
		target  []reports.TargetSample
	}{
		{name: "one request", results: []loadharness.Result{one}},
		{name: "all failed, no instance", results: []loadharness.Result{
			{Scenario: "down", Step: "map", Sent: fixture.Start, Latency: time.Second, Error: "connection refused"},
			{Scenario: "down", Step: "map", Sent: fixture.Start.Add(3 * time.Second), Latency: time.Second, Error: "connection refused"},
		}},
		{name: "event outside the run", results: []loadharness.Result{one}, events: []loadharness.Event{{At: fixture.Start.Add(time.Hour), Kind: "kill"}}},
		{name: "zero latency", results: []loadharness.Result{{Scenario: "z", Step: "x", Sent: fixture.Start, Code: 200}}},
		{name: "counter reset and NaN", results: []loadharness.Result{one}, target: []reports.TargetSample{
			{At: fixture.Start, Values: map[string]float64{"target_requests_total": 10}},
			{At: fixture.Start.Add(time.Second), Values: map[string]float64{"target_requests_total": 2}},
			{At: fixture.Start.Add(2 * time.Second), Values: map[string]float64{"target_requests_total": math.NaN()}},
		}},
		{name: "one target sample", target: []reports.TargetSample{{At: fixture.Start, Values: map[string]float64{"target_queue_depth": 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := fixture.MustAggregate(t, fixture.Start, tt.results)
			in := reports.ReportInput{
				Summary:   reports.Summary{Scenarios: reports.BuildScenarioSummaries(a), Events: tt.events},
				Aggregate: a,
				Target:    tt.target,
			}
			for _, ch := range MustFor(t, in) {
				if _, err := png.Decode(bytes.NewReader(MustRender(t, ch, charts.PNG))); err != nil {
					t.Errorf("%s: %v", ch.Name, err)
				}
				MustRender(t, ch, charts.SVG)
			}
		})
	}
}

func TestRenderFormats(t *testing.T) {
	cs := renderedFixture(t)
	if len(cs) == 0 {
		t.Fatal("no chart drawn")
	}
	for _, ch := range cs {
		if !bytes.HasPrefix(ch.PNG, []byte("\x89PNG")) || len(ch.SVG) == 0 {
			t.Errorf("%s: PNG %.8q, SVG of %d bytes", ch.Name, ch.PNG, len(ch.SVG))
		}
	}
	if err := cs[0].Render(&bytes.Buffer{}, "gif"); err == nil {
		t.Error("a chart rendered as gif without an error")
	}
	if err := (charts.Chart{Name: "bare"}).Render(&bytes.Buffer{}, charts.PNG); err == nil {
		t.Error("a chart this package did not draw rendered without an error")
	}
}
