package charts

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"

	"loadharness"
	"loadharness/reports"
)

// throughputFigure is one scenario's load second by second, on two panels
// sharing the time axis: the rate achieved against the rate asked, and the
// share of requests that failed, with the error gates.
func throughputFigure(in reports.ReportInput, ax reports.TimeAxis, sc reports.ScenarioSummary, ser series) (*figure, error) {
	n := len(ser.points)
	xs, rps, errPct := make([]float64, n), make([]float64, n), make([]float64, n)
	worstErr, highest := 0.0, sc.AskedRPS
	for i, pt := range ser.points {
		xs[i] = pt.xm
		rps[i] = float64(pt.requests) / float64(ser.group)
		highest = math.Max(highest, rps[i])
		errPct[i] = math.NaN()
		if pt.requests > 0 {
			errPct[i] = 100 * float64(pt.failed) / float64(pt.requests)
			worstErr = math.Max(worstErr, errPct[i])
		}
	}
	x0, x1 := ser.span()
	top := newPanel("", "requests per second")
	top.Y.Min = 0
	bottom := newPanel(ax.Label, "failed (% of requests)")
	bottom.Y.Min, bottom.Y.Max = 0, math.Max(1, worstErr*1.1)
	f := &figure{
		name:   "throughput-" + fileSafe(sc.Name),
		title:  sc.Name + ": throughput and errors per second",
		legend: []legendItem{{label: "achieved (sent per second)", line: solidLine(colorP50)}},
		panels: []*plot.Plot{top, bottom},
	}
	x0, x1 = shadePhases(f, in, ax, sc.Name, x0, x1)
	if err := addLine(top, xs, rps, solidLine(colorP50)); err != nil {
		return nil, fmt.Errorf("throughput chart %s: %w", sc.Name, err)
	}
	if sc.AskedRPS > 0 {
		if err := hline(top, x0, x1, sc.AskedRPS, thresholdLine(colorAsked)); err != nil {
			return nil, fmt.Errorf("throughput chart %s: %w", sc.Name, err)
		}
		f.legend = append(f.legend, legendItem{
			label: "asked " + loadharness.KindRate.Format(sc.AskedRPS), line: thresholdLine(colorAsked),
		})
	}
	if err := addLine(bottom, xs, errPct, solidLine(colorFailed)); err != nil {
		return nil, fmt.Errorf("throughput chart %s: %w", sc.Name, err)
	}
	f.legend = append(f.legend, legendItem{label: "failed (% of the second's requests)", line: solidLine(colorFailed)})
	for _, g := range errorGates(in.Summary.Gates, sc.Name) {
		if g.threshold > 3*bottom.Y.Max {
			continue // drawing it would flatten the measured line; the table has it
		}
		bottom.Y.Max = math.Max(bottom.Y.Max, g.threshold*1.1)
		if err := hline(bottom, x0, x1, g.threshold, thresholdLine(colorFailed)); err != nil {
			return nil, fmt.Errorf("throughput chart %s: %w", sc.Name, err)
		}
		f.legend = append(f.legend, legendItem{label: g.text, line: thresholdLine(colorFailed)})
	}
	if marks := eventsOn(in.Summary.Events, ax, x0, x1); len(marks) > 0 {
		top.Add(&eventMarks{marks: marks, labels: true})
		bottom.Add(&eventMarks{marks: marks})
		f.legend = append(f.legend, legendItem{label: "event", line: eventLine()})
	}
	for _, p := range f.panels {
		p.X.Min, p.X.Max = x0, x1
	}
	headroom(top, highest)
	f.caption = "Requests sent in each second and, below, the share of them that failed (no response or a status of 400 or more). "
	if sc.AskedRPS > 0 {
		f.caption += "The dashed line is the rate the load model asked for: achieved below it means the generator or the target fell behind."
	} else {
		f.caption += "A closed model (a number of users, no rate) asks for no rate: what it achieves is the measurement."
	}
	f.caption += ser.perPointNote()
	return f, nil
}

// errorGates returns the gates on the error rate that judge scenario, as
// thresholds in percent of requests; availability gates count too (an
// availability of 99% is an error rate of 1%).
func errorGates(gates []loadharness.GateResult, scenario string) []gateLine {
	var out []gateLine
	seen := map[string]bool{}
	for _, g := range gates {
		parsed := g.Gate
		key := parsed.String()
		if g.Scenario != scenario && g.Scenario != "" || seen[key] {
			continue
		}
		if parsed.Step != "" {
			continue
		}
		var pct float64
		switch parsed.Metric.Name {
		case loadharness.MetricErrorRate:
			pct = 100 * parsed.Threshold
		case loadharness.MetricAvailability:
			pct = 100 * (1 - parsed.Threshold)
		default:
			continue
		}
		seen[key] = true
		text := "gate " + key
		if g.Scenario == "" {
			text += " (run)"
		}
		out = append(out, gateLine{text: text, threshold: pct, color: colorFailed})
	}
	return out
}
