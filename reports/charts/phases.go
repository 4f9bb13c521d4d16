package charts

import (
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"loadharness"
	"loadharness/reports"
	"loadharness/reports/aggregate"
)

// phaseSpan is a stretch of a scenario that gates do not judge: its setup
// (every user's login and upload) or its warm-up.
type phaseSpan struct {
	x0, x1 float64
	label  string
}

// colorPhase shades setup and warm-up: light enough that lines drawn over
// it stay legible.
var colorPhase = color.NRGBA{R: 0xcb, G: 0xd5, B: 0xe0, A: 0x90}

// phaseSpans places a scenario's setup and warm-up on ax, from their own
// aggregates' active seconds. The charts draw only the main phase's
// figures, so these stretches would otherwise read as no load at all.
func phaseSpans(a *aggregate.Aggregate, ax reports.TimeAxis, scenario string) []phaseSpan {
	if a == nil {
		return nil
	}
	var spans []phaseSpan
	for _, p := range []struct {
		phase loadharness.Phase
		label string
	}{{loadharness.PhaseSetup, "setup"}, {loadharness.PhaseWarmup, "warm-up"}} {
		first, last := aggregate.ActiveWindow(a.SecondCounts(loadharness.Scope{Scenario: scenario, Phase: p.phase}))
		if first < 0 {
			continue
		}
		spans = append(spans, phaseSpan{x0: ax.X(float64(first)), x1: ax.X(float64(last + 1)), label: p.label})
	}
	return spans
}

// widen returns [x0, x1] grown to hold every span.
func widen(spans []phaseSpan, x0, x1 float64) (float64, float64) {
	for _, s := range spans {
		x0, x1 = math.Min(x0, s.x0), math.Max(x1, s.x1)
	}
	return x0, x1
}

// phaseShades draws spans as shaded bands across the data area, each
// labelled at its top left (on the top panel only). It is a plot.Plotter,
// added before the lines so that they are drawn over it.
type phaseShades struct {
	spans  []phaseSpan
	labels bool
}

var (
	_ plot.Plotter    = (*phaseShades)(nil)
	_ plot.DataRanger = (*phaseShades)(nil)
)

// DataRange widens the x axis to every span; the y axis is left alone.
func (p *phaseShades) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = widen(p.spans, math.Inf(1), math.Inf(-1))
	return xmin, xmax, math.Inf(1), math.Inf(-1)
}

// Plot fills each span, clipped to the data area.
func (p *phaseShades) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, _ := plt.Transforms(&c)
	sty := text.Style{Color: colorAsked, Font: eventFont, Handler: plot.DefaultTextHandler, XAlign: draw.XLeft, YAlign: draw.YTop}
	for _, s := range p.spans {
		x0, x1 := max(trX(s.x0), c.Min.X), min(trX(s.x1), c.Max.X)
		if x1 <= x0 {
			continue
		}
		c.SetColor(colorPhase)
		c.Fill(vg.Rectangle{Min: vg.Point{X: x0, Y: c.Min.Y}, Max: vg.Point{X: x1, Y: c.Max.Y}}.Path())
		if p.labels && sty.Width(s.label) < x1-x0 {
			c.FillText(sty, vg.Point{X: x0 + vg.Points(3), Y: c.Max.Y - vg.Points(3)}, s.label)
		}
	}
}

// shadePhases adds the scenario's setup and warm-up to every panel of f,
// labelled on the first, with a legend entry, and returns the x range
// widened to hold them.
func shadePhases(f *figure, in reports.ReportInput, ax reports.TimeAxis, scenario string, x0, x1 float64) (float64, float64) {
	spans := phaseSpans(in.Aggregate, ax, scenario)
	if len(spans) == 0 {
		return x0, x1
	}
	for i, p := range f.panels {
		p.Add(&phaseShades{spans: spans, labels: i == 0})
	}
	f.legend = append(f.legend, legendItem{label: "setup / warm-up (not judged)", fill: colorPhase})
	f.shaded = true
	return widen(spans, x0, x1)
}
