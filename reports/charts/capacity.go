package charts

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg/draw"

	"loadharness"
)

// CapacityCurve is a capacity search's curve in the terms its chart needs;
// the harness, which runs the search, fills it in.
type CapacityCurve struct {
	// Name is the chart's name (Chart.Name).
	Name  string
	Title string
	// LoadLabel names the load axis, for example "users (closed model)";
	// Unit follows a load in the legend, for example "users" or "req/s".
	LoadLabel, Unit string
	// Points are the steps of the search, in any order; of several steps
	// at one load the last one given is drawn (the confirmation, the longest).
	Points []CapacityPoint
	// Capacity and Knee are marked on every panel; 0 marks nothing.
	Capacity, Knee float64
	// LatencyGate is a latency bound in milliseconds drawn on the latency
	// panel; 0 draws none.
	LatencyGate float64
}

// CapacityPoint is one step of a search.
type CapacityPoint struct {
	Load float64
	// P50, P95 and P99 are in milliseconds.
	P50, P95, P99 float64
	ThroughputRPS float64
	// ErrorRate is the share of failed requests, 0..1.
	ErrorRate float64
}

// colorCapacity marks the capacity found.
var colorCapacity = colorNeutral

// Capacity draws the curve on three panels sharing the load axis: latency
// quantiles on a log scale (a step far past the capacity takes seconds, the
// steps below it milliseconds), throughput, and the share of failed
// requests; the capacity is a dashed line, the knee a dotted one.
func Capacity(c CapacityCurve) (Chart, error) {
	pts := lastPerLoad(c.Points)
	if len(pts) == 0 {
		return Chart{}, fmt.Errorf("capacity chart %s: no points", c.Name)
	}
	n := len(pts)
	xs := make([]float64, n)
	cols := map[string][]float64{"p50": make([]float64, n), "p95": make([]float64, n), "p99": make([]float64, n),
		"rps": make([]float64, n), "err": make([]float64, n)}
	for i, p := range pts {
		xs[i] = p.Load
		// A log axis has no zero: a step that measured nothing is a gap.
		for name, v := range map[string]float64{"p50": p.P50, "p95": p.P95, "p99": p.P99} {
			cols[name][i] = math.NaN()
			if v > 0 {
				cols[name][i] = v
			}
		}
		cols["rps"][i] = p.ThroughputRPS
		cols["err"][i] = 100 * p.ErrorRate
	}
	latLo := math.Max(nanMin(cols["p50"]), 0.01)
	latHi := math.Max(math.Max(nanMaxOf(cols["p99"]), c.LatencyGate)*1.2, latLo*10)
	lat := newPanel("", "latency (ms, log scale)")
	lat.Y.Scale = plot.LogScale{}
	lat.Y.Tick.Marker = plot.LogTicks{}
	// A log axis cannot start at zero: fix its range from the figures.
	lat.Y.Min, lat.Y.Max = latLo/1.2, latHi
	rps := newPanel("", "throughput (requests/s)")
	rps.Y.Min = 0
	errs := newPanel(c.LoadLabel, "failed (% of requests)")
	errs.Y.Min = 0
	errs.Y.Max = math.Max(1, slices.Max(cols["err"])*1.1)
	f := &figure{name: c.Name, title: c.Title, panels: []*plot.Plot{lat, rps, errs},
		caption: "each point is one step of the search; the dashed line is the capacity found, the dotted one the knee"}
	for _, line := range []struct {
		panel *plot.Plot
		col   string
		label string
		sty   draw.LineStyle
	}{
		{lat, "p50", "p50", solidLine(colorP50)},
		{lat, "p95", "p95", solidLine(colorP95)},
		{lat, "p99", "p99", solidLine(colorP99)},
		{rps, "rps", "throughput", solidLine(seriesColor(2))},
		{errs, "err", "failed", solidLine(colorFailed)},
	} {
		if err := addLine(line.panel, xs, cols[line.col], line.sty); err != nil {
			return Chart{}, fmt.Errorf("capacity chart %s: %w", c.Name, err)
		}
		f.legend = append(f.legend, legendItem{label: line.label, line: line.sty})
	}
	lo, hi := xs[0], xs[n-1]
	if c.LatencyGate > 0 {
		if err := hline(lat, lo, hi, c.LatencyGate, thresholdLine(colorP95)); err != nil {
			return Chart{}, fmt.Errorf("capacity chart %s: %w", c.Name, err)
		}
		f.legend = append(f.legend, legendItem{label: "gate " + loadharness.KindLatency.Format(c.LatencyGate), line: thresholdLine(colorP95)})
	}
	bounds := []struct{ lo, hi float64 }{
		{latLo / 1.2, latHi},
		{0, math.Max(slices.Max(cols["rps"])*1.1, 1)},
		{0, errs.Y.Max},
	}
	for _, mark := range []struct {
		at    float64
		label string
		sty   draw.LineStyle
	}{
		{c.Capacity, "capacity", thresholdLine(colorCapacity)},
		{c.Knee, "knee", draw.LineStyle{Color: colorEvent, Width: solidLine(colorEvent).Width, Dashes: dashEvent}},
	} {
		if mark.at <= 0 {
			continue
		}
		for i, p := range f.panels {
			l, err := plotter.NewLine(plotter.XYs{{X: mark.at, Y: bounds[i].lo}, {X: mark.at, Y: bounds[i].hi}})
			if err != nil {
				return Chart{}, fmt.Errorf("capacity chart %s: %w", c.Name, err)
			}
			l.LineStyle = mark.sty
			p.Add(l)
		}
		f.legend = append(f.legend, legendItem{label: fmt.Sprintf("%s %g %s", mark.label, mark.at, c.Unit), line: mark.sty})
	}
	return f.chart(), nil
}

// lastPerLoad sorts the points by load, keeping the last point given at
// each load.
func lastPerLoad(in []CapacityPoint) []CapacityPoint {
	var out []CapacityPoint
	for _, p := range slices.Backward(in) {
		if !slices.ContainsFunc(out, func(q CapacityPoint) bool { return q.Load == p.Load }) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b CapacityPoint) int { return cmp.Compare(a.Load, b.Load) })
	return out
}

func nanMin(v []float64) float64 {
	m := math.Inf(1)
	for _, x := range v {
		if !math.IsNaN(x) {
			m = math.Min(m, x)
		}
	}
	if math.IsInf(m, 1) {
		return 1
	}
	return m
}

func nanMaxOf(v []float64) float64 {
	m := math.Inf(-1)
	for _, x := range v {
		if !math.IsNaN(x) {
			m = math.Max(m, x)
		}
	}
	if math.IsInf(m, -1) {
		return 1
	}
	return m
}
