package charts

import (
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"loadharness"
	"loadharness/reports"
)

// eventMark is an event placed on a time axis.
type eventMark struct {
	x     float64
	label string
}

// eventMarks draws every event as a dotted vertical line across the data
// area with its label written along it, so a reader sees the failover
// where the latency jumps. It is a plot.Plotter.
type eventMarks struct {
	marks []eventMark
	// labels is false on the lower panels of a figure: one label per
	// event is enough.
	labels bool
}

var (
	_ plot.Plotter    = (*eventMarks)(nil)
	_ plot.DataRanger = (*eventMarks)(nil)
)

// eventsOn places the events that fall within [x0-margin, x1+margin] of ax.
func eventsOn(events []loadharness.Event, ax reports.TimeAxis, x0, x1 float64) []eventMark {
	margin := (x1 - x0) * 0.02
	var marks []eventMark
	for _, ev := range events {
		x := ax.At(ev.At)
		if x < x0-margin || x > x1+margin {
			continue
		}
		marks = append(marks, eventMark{x: x, label: eventLabel(ev)})
	}
	sort.SliceStable(marks, func(i, j int) bool { return marks[i].x < marks[j].x })
	return marks
}

func eventLine() draw.LineStyle {
	return draw.LineStyle{Color: colorEvent, Width: vg.Points(1.3), Dashes: dashEvent}
}

// eventLabel is the short text of an event: "kill instance-1".
func eventLabel(ev loadharness.Event) string {
	return strings.TrimSpace(ev.Kind + " " + ev.Target)
}

// DataRange widens the x axis to every event; the y axis is left alone.
func (e *eventMarks) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	for _, m := range e.marks {
		xmin, xmax = math.Min(xmin, m.x), math.Max(xmax, m.x)
	}
	return xmin, xmax, math.Inf(1), math.Inf(-1)
}

// Plot draws the lines, then the labels on a light box so they stay
// legible over the data; labels that would overlap move right.
func (e *eventMarks) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, _ := plt.Transforms(&c)
	line := eventLine()
	for _, m := range e.marks {
		x := trX(m.x)
		c.StrokeLine2(line, x, c.Min.Y, x, c.Max.Y)
	}
	if !e.labels {
		return
	}
	sty := text.Style{
		Color: colorEvent, Font: eventFont, Handler: plot.DefaultTextHandler,
		Rotation: math.Pi / 2, XAlign: draw.XRight, YAlign: draw.YTop,
	}
	nextFree := c.Min.X
	for _, m := range e.marks {
		x := max(trX(m.x)+vg.Points(2), nextFree)
		top := c.Max.Y - vg.Points(4)
		w, h := sty.Width(m.label), sty.Height(m.label)
		box := vg.Rectangle{Min: vg.Point{X: x - 1, Y: top - w - 2}, Max: vg.Point{X: x + h + 1, Y: top + 2}}
		c.SetColor(color.NRGBA{R: 255, G: 255, B: 255, A: 215})
		c.Fill(box.Path())
		c.FillText(sty, vg.Point{X: x, Y: top}, m.label)
		nextFree = x + h + vg.Points(2)
	}
}
