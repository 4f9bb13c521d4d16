package charts

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"

	"loadharness"
	"loadharness/reports"
)

// stepFigures are one scenario's p95 per step, second by second: at most
// maxSeriesPerPanel steps a chart, so a scenario of many steps has several.
// None for a scenario of one step: its latency chart says it all.
func stepFigures(in reports.ReportInput, ax reports.TimeAxis, sc reports.ScenarioSummary) ([]*figure, error) {
	if len(sc.Steps) < 2 {
		return nil, nil
	}
	var figs []*figure
	for first := 0; first < len(sc.Steps); first += maxSeriesPerPanel {
		steps := sc.Steps[first:min(first+maxSeriesPerPanel, len(sc.Steps))]
		name := "steps-" + fileSafe(sc.Name)
		title := sc.Name + ": p95 latency of each step, per second"
		if len(sc.Steps) > maxSeriesPerPanel {
			part := strconv.Itoa(first/maxSeriesPerPanel + 1)
			name += "-" + part
			title += " (part " + part + ")"
		}
		p := newPanel(ax.Label, "p95 latency (ms)")
		p.Y.Min = 0
		f := &figure{name: name, title: title, panels: []*plot.Plot{p}}
		x0, x1 := math.Inf(1), math.Inf(-1)
		var lines []stepLine
		for i, st := range steps {
			ser := seriesOf(in.Aggregate.Seconds(loadharness.Scope{Scenario: sc.Name, Step: st.Name}), ax)
			if len(ser.points) == 0 {
				continue
			}
			a, b := ser.span()
			x0, x1 = math.Min(x0, a), math.Max(x1, b)
			lines = append(lines, stepLine{name: st.Name, ser: ser, color: seriesColor(i)})
		}
		if len(lines) == 0 {
			continue
		}
		x0, x1 = shadePhases(f, in, ax, sc.Name, x0, x1)
		highest := 0.0
		for _, l := range lines {
			xs, ys := make([]float64, len(l.ser.points)), make([]float64, len(l.ser.points))
			for j, pt := range l.ser.points {
				xs[j], ys[j] = pt.xm, pt.p95
				if !math.IsNaN(pt.p95) {
					highest = math.Max(highest, pt.p95)
				}
			}
			if err := addLine(p, xs, ys, solidLine(l.color)); err != nil {
				return nil, fmt.Errorf("step chart %s: %w", sc.Name, err)
			}
			f.legend = append(f.legend, legendItem{label: l.name, line: solidLine(l.color)})
		}
		if marks := eventsOn(in.Summary.Events, ax, x0, x1); len(marks) > 0 {
			p.Add(&eventMarks{marks: marks, labels: true})
			f.legend = append(f.legend, legendItem{label: "event", line: eventLine()})
		}
		p.X.Min, p.X.Max = x0, x1
		headroom(p, highest)
		f.caption = "The p95 of each step's requests sent in each second, corrected for coordinated omission: " +
			"which step slows down, and when." + lines[0].ser.perPointNote()
		figs = append(figs, f)
	}
	return figs, nil
}

// stepLine is one step's line on a step chart.
type stepLine struct {
	name  string
	ser   series
	color color.Color
}
