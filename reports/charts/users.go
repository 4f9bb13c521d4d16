package charts

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"

	"loadharness/reports"
)

// usersFigure is one scenario's users in a request, second by second: the
// mean number of requests in flight (aggregate.SecondStats.InFlight). A
// closed model's users not thinking, an open model's load as the target
// holds it: where it climbs while throughput stays flat, the target is
// queueing.
func usersFigure(in reports.ReportInput, ax reports.TimeAxis, sc reports.ScenarioSummary, ser series) (*figure, error) {
	n := len(ser.points)
	xs, ys := make([]float64, n), make([]float64, n)
	highest := 0.0
	for i, pt := range ser.points {
		xs[i], ys[i] = pt.xm, pt.inFlight
		highest = math.Max(highest, pt.inFlight)
	}
	p := newPanel(ax.Label, "users in a request (mean)")
	p.Y.Min = 0
	f := &figure{
		name:        "users-" + fileSafe(sc.Name),
		title:       sc.Name + ": users in a request, per second",
		legend:      []legendItem{{label: "requests in flight (mean over the second)", line: solidLine(colorP50)}},
		panels:      []*plot.Plot{p},
		panelHeight: panelHeight * 0.8,
	}
	x0, x1 := ser.span()
	x0, x1 = shadePhases(f, in, ax, sc.Name, x0, x1)
	if err := addLine(p, xs, ys, solidLine(colorP50)); err != nil {
		return nil, fmt.Errorf("users chart %s: %w", sc.Name, err)
	}
	if marks := eventsOn(in.Summary.Events, ax, x0, x1); len(marks) > 0 {
		p.Add(&eventMarks{marks: marks, labels: true})
		f.legend = append(f.legend, legendItem{label: "event", line: eventLine()})
	}
	p.X.Min, p.X.Max = x0, x1
	headroom(p, highest)
	f.caption = "The mean number of the scenario's requests in flight each second: the latencies of the second's " +
		"requests summed over one second (Little's law), each request counted in the second it was sent. In a closed " +
		"model these are the users not thinking; in an open model, the load the target holds. A climb while throughput " +
		"stays flat is the target queueing." + ser.perPointNote()
	return f, nil
}
