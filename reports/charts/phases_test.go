package charts_test

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"loadharness"
	"loadharness/reports"
	"loadharness/reports/charts"
	"loadharness/reports/internal/fixture"
)

// phasedResults are a scenario's 4 seconds of setup, 6 of warm-up, then 10
// measured: 20 requests a second throughout.
func phasedResults() []loadharness.Result {
	var out []loadharness.Result
	for s := range 20 {
		phase := loadharness.PhaseMain
		switch {
		case s < 4:
			phase = loadharness.PhaseSetup
		case s < 10:
			phase = loadharness.PhaseWarmup
		}
		for i := range 20 {
			out = append(out, loadharness.Result{
				Scenario: "browse", Step: "map", Phase: phase, Code: 200, Latency: 40 * time.Millisecond,
				Sent: fixture.Start.Add(time.Duration(s)*time.Second + time.Duration(i)*50*time.Millisecond),
			})
		}
	}
	return out
}

// TestSetupAndWarmupAreShadedNotDrawnAsZero checks that every time chart
// of a scenario with setup and warm-up says so in its caption and shades
// them: in the rendered PNG the first half of the data area (10 of 20
// seconds) holds the shade's colour, at a quarter of the width, and the
// measured half does not, at three quarters.
func TestSetupAndWarmupAreShadedNotDrawnAsZero(t *testing.T) {
	a := fixture.MustAggregate(t, fixture.Start, phasedResults())
	in := reports.ReportInput{Summary: reports.Summary{Scenarios: reports.BuildScenarioSummaries(a)}, Aggregate: a}
	timeCharts := 0
	for _, ch := range MustFor(t, in) {
		if ch.Name != "latency-browse" && ch.Name != "throughput-browse" {
			continue
		}
		timeCharts++
		if !strings.Contains(ch.Caption, "Shaded: the scenario's setup and warm-up") {
			t.Errorf("%s: caption does not explain the shade: %q", ch.Name, ch.Caption)
		}
		img, err := png.Decode(bytes.NewReader(MustRender(t, ch, charts.PNG)))
		if err != nil {
			t.Fatalf("%s: %v", ch.Name, err)
		}
		w := img.Bounds().Dx()
		if !shadedColumn(img, w*3/10) || shadedColumn(img, w*3/4) {
			t.Errorf("%s: shade at 30%% of the width %v, at 75%% %v; want it in setup and warm-up only",
				ch.Name, shadedColumn(img, w*3/10), shadedColumn(img, w*3/4))
		}
	}
	if timeCharts != 2 {
		t.Errorf("%d time charts, want latency and throughput", timeCharts)
	}
	// Without setup or warm-up there is nothing to shade.
	for _, ch := range MustFor(t, fixture.Input(t)) {
		if strings.Contains(ch.Caption, "Shaded:") {
			t.Errorf("%s: shade explained on a run without setup or warm-up", ch.Name)
		}
	}
}

// shadedColumn says whether column x holds a run of 20 pixels of the
// shade's colour (colorPhase over white).
func shadedColumn(img image.Image, x int) bool {
	b := img.Bounds()
	run := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		r, g, bl, _ := img.At(x, y).RGBA()
		if near(r>>8, 0xe2) && near(g>>8, 0xe8) && near(bl>>8, 0xee) {
			if run++; run == 20 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

func near(v uint32, want uint32) bool { return v+3 >= want && v <= want+3 }
