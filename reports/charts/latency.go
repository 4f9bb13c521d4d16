package charts

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"gonum.org/v1/plot"

	"loadharness"
	"loadharness/reports"
)

// offChartFactor is how far above the highest measured latency a gate may
// sit and still be drawn; beyond it the chart would be all headroom and the
// measured lines a flat smear, so the caption gives the gate instead.
const offChartFactor = 3

// latencyFigure is the latency of one scenario second by second: p50, p95
// and p99, its latency gates as dashed lines, its events.
func latencyFigure(in reports.ReportInput, ax reports.TimeAxis, scenario string, ser series) (*figure, error) {
	n := len(ser.points)
	xs := make([]float64, n)
	p50, p95, p99 := make([]float64, n), make([]float64, n), make([]float64, n)
	highest := 0.0
	for i, pt := range ser.points {
		xs[i], p50[i], p95[i], p99[i] = pt.xm, pt.p50, pt.p95, pt.p99
		if !math.IsNaN(pt.p99) {
			highest = math.Max(highest, pt.p99)
		}
	}
	p := newPanel(ax.Label, "latency (ms)")
	p.Y.Min = 0
	f := &figure{
		name:  "latency-" + fileSafe(scenario),
		title: scenario + ": latency per second (corrected for coordinated omission)",
		legend: []legendItem{
			{label: "p50", line: solidLine(colorP50)},
			{label: "p95", line: solidLine(colorP95)},
			{label: "p99", line: solidLine(colorP99)},
		},
		panels: []*plot.Plot{p},
	}
	x0, x1 := ser.span()
	x0, x1 = shadePhases(f, in, ax, scenario, x0, x1)
	for _, l := range []struct {
		ys []float64
		c  color.Color
	}{{p50, colorP50}, {p95, colorP95}, {p99, colorP99}} {
		if err := addLine(p, xs, l.ys, solidLine(l.c)); err != nil {
			return nil, fmt.Errorf("latency chart %s: %w", scenario, err)
		}
	}
	var offChart []string
	top := highest
	for _, g := range latencyGates(in.Summary.Gates, scenario) {
		if highest > 0 && g.threshold > offChartFactor*highest {
			offChart = append(offChart, g.text)
			continue
		}
		top = math.Max(top, g.threshold)
		if err := hline(p, x0, x1, g.threshold, thresholdLine(g.color)); err != nil {
			return nil, fmt.Errorf("latency chart %s: %w", scenario, err)
		}
		f.legend = append(f.legend, legendItem{label: g.text, line: thresholdLine(g.color)})
	}
	marks := eventsOn(in.Summary.Events, ax, x0, x1)
	if len(marks) > 0 {
		p.Add(&eventMarks{marks: marks, labels: true})
		f.legend = append(f.legend, legendItem{label: "event", line: eventLine()})
	}
	p.X.Min, p.X.Max = x0, x1
	headroom(p, top)
	f.caption = "p50, p95 and p99 of the requests sent in each second, measured from when the load model " +
		"meant to send them (so a stalled generator cannot hide a slow target). Dashed lines are the " +
		"latency gates; dotted lines are events." + ser.perPointNote()
	if len(offChart) > 0 {
		f.caption += fmt.Sprintf(" Not drawn, being more than %d× the highest p99 (%s): %s.",
			offChartFactor, loadharness.KindLatency.Format(highest), strings.Join(offChart, "; "))
	}
	return f, nil
}

// gateLine is a gate drawn as a threshold on a chart.
type gateLine struct {
	text      string
	threshold float64
	color     color.Color
}

// latencyGates returns the latency gates that judge scenario (its own and
// the run's), one per distinct text.
func latencyGates(gates []loadharness.GateResult, scenario string) []gateLine {
	var out []gateLine
	seen := map[string]bool{}
	for _, g := range gates {
		if g.Scenario != scenario && g.Scenario != "" {
			continue
		}
		parsed := g.Gate
		key := parsed.String()
		// recovery_time and its kin are durations too, but not of requests:
		// they do not belong on a request latency axis.
		if parsed.Metric.Kind != loadharness.KindLatency || parsed.Metric.FromEvents() || seen[key] {
			continue
		}
		seen[key] = true
		text := "gate " + key
		if g.Scenario == "" {
			text += " (run)"
		}
		out = append(out, gateLine{text: text, threshold: parsed.Threshold, color: quantileColor(parsed.Metric.Quantile)})
	}
	return out
}

func quantileColor(q float64) color.Color {
	switch q {
	case 50:
		return colorP50
	case 95:
		return colorP95
	case 99:
		return colorP99
	default:
		return colorNeutral
	}
}

// fileSafe turns a scenario name into a file name part: lower-case letters,
// digits and dashes.
func fileSafe(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9'
		switch {
		case ok:
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimSuffix(b.String(), "-")
	if s == "" {
		return "run"
	}
	return s
}
