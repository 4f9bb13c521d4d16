package charts

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"

	"loadharness"
	"loadharness/reports"
)

// distributionFigure is the HDR percentile plot of every scenario's
// corrected latency: the percentile axis is logarithmic in the distance to
// 100% ("nines"), so the tail a p99 gate judges gets as much room as the
// median. nil when no scenario saw a request.
func distributionFigure(in reports.ReportInput) (*figure, error) {
	p := newPanel("percentile of requests (log scale toward 100%)", "latency (ms)")
	p.Y.Min = 0
	p.X.Tick.Marker = ninesTicks{}
	f := &figure{
		name:   "latency-distribution",
		title:  "Latency distribution by scenario (HDR percentile plot)",
		panels: []*plot.Plot{p},
	}
	drawn := 0
	for i, sc := range in.Summary.Scenarios {
		points := in.Aggregate.Percentiles(loadharness.Scope{Scenario: sc.Name})
		if len(points) == 0 {
			continue
		}
		// The last point is 100%, infinitely many nines: draw it where one
		// request in the scope sits, the finest the data resolves.
		limit := ninesOf(100 * (1 - 1/float64(max(sc.Requests, 10))))
		xs, ys := make([]float64, 0, len(points)), make([]float64, 0, len(points))
		for _, pt := range points {
			xs = append(xs, math.Min(ninesOf(pt.Percentile), limit))
			ys = append(ys, pt.LatencyMS)
		}
		if err := addLine(p, xs, ys, solidLine(seriesColor(i))); err != nil {
			return nil, fmt.Errorf("distribution chart: %w", err)
		}
		f.legend = append(f.legend, legendItem{label: sc.Name, line: solidLine(seriesColor(i))})
		drawn++
	}
	if drawn == 0 {
		return nil, nil
	}
	p.X.Min = 0
	f.caption = "Each line is a scenario's latency at each percentile, from the fastest request (left) to the " +
		"slowest (right). Read p50, p90, p99 straight off the axis; a line that turns up sharply on the right " +
		"is a tail that a mean would hide."
	return f, nil
}

// ninesOf maps a percentile to the distance to 100% on a log scale: 90% is
// 1, 99% is 2, 99.9% is 3.
func ninesOf(percentile float64) float64 {
	if percentile >= 100 {
		return math.Inf(1)
	}
	return -math.Log10(1 - percentile/100)
}

// ninesTicks labels the percentile axis in percent.
type ninesTicks struct{}

var _ plot.Ticker = ninesTicks{}

// Ticks returns 0%, 50%, 90%, 99%, … up to max, with minor ticks between.
func (ninesTicks) Ticks(lo, hi float64) []plot.Tick {
	ticks := []plot.Tick{{Value: 0, Label: "0%"}, {Value: ninesOf(50), Label: "50%"}, {Value: ninesOf(75)}}
	labels := []string{"90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%", "99.99999%"}
	for n := 1; n <= len(labels) && float64(n-1) <= hi; n++ {
		ticks = append(ticks, plot.Tick{Value: float64(n), Label: labels[n-1]})
		half := plot.Tick{Value: float64(n) + math.Log10(2)} // 95%, 99.5%, …
		if n == 1 {
			half.Label = "95%"
		}
		ticks = append(ticks, half)
	}
	var out []plot.Tick
	for _, t := range ticks {
		if t.Value >= lo-1e-9 && t.Value <= hi+1e-9 {
			out = append(out, t)
		}
	}
	return out
}
