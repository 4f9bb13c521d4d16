package charts

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"

	"loadharness/reports"
)

// maxSeriesPerPanel keeps a chart readable: five lines can be told apart
// by colour; the rest are left out and the caption says which.
const maxSeriesPerPanel = 5

// targetPanel groups target metrics that share a meaning and a unit: each
// group is a chart of its own.
type targetPanel struct {
	name, title, yLabel string
	rate                bool    // counters: drawn as increase per second
	scale               float64 // multiplies every value (bytes to MiB)
	names               []string
}

// classifyTargetMetric returns the panel a metric belongs to, or -1 when
// the report does not chart it (runtime collectors, histogram parts).
func classifyTargetMetric(name string) int {
	if !strings.HasPrefix(name, "target_") && !strings.HasPrefix(name, "redis_") {
		return -1
	}
	for _, skip := range []string{"_seconds", "_bucket", "_sum", "_count", "_created", "_info"} {
		if strings.HasSuffix(name, skip) {
			return -1
		}
	}
	switch {
	case strings.HasSuffix(name, "_bytes"):
		return panelMemory
	case strings.HasSuffix(name, "_total") && isTroubleMetric(name):
		return panelTrouble
	case strings.HasSuffix(name, "_total"):
		return panelRates
	case strings.HasPrefix(name, "redis_"):
		return panelRedis
	default:
		return panelLoad
	}
}

// Panels of the target chart, top to bottom.
const (
	panelLoad = iota
	panelRates
	panelTrouble
	panelRedis
	panelMemory
)

func newTargetPanels() []targetPanel {
	return []targetPanel{
		panelLoad:    {name: "load", title: "in the target", yLabel: "requests"},
		panelRates:   {name: "work", title: "work done", yLabel: "/s", rate: true},
		panelTrouble: {name: "trouble", title: "trouble", yLabel: "/s", rate: true},
		panelRedis:   {name: "redis", title: "Redis", yLabel: "count"},
		panelMemory:  {name: "memory", title: "memory", yLabel: "MiB", scale: 1.0 / (1 << 20)},
	}
}

func isTroubleMetric(name string) bool {
	for _, w := range []string{"error", "reject", "restart", "fail", "timeout", "evict"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// targetLabel shortens a metric name for a legend:
// "target_requests_in_flight" reads "requests in flight".
func targetLabel(name string) string {
	s := strings.TrimPrefix(name, "target_")
	s = strings.TrimSuffix(s, "_total")
	return strings.ReplaceAll(s, "_", " ")
}

// targetFigures charts the target's own metrics over the run: one chart
// per group of metrics (load, work done, trouble, Redis, memory), each of at
// most maxSeriesPerPanel lines. Empty when no sample holds a charted metric.
func targetFigures(in reports.ReportInput, ax reports.TimeAxis) ([]*figure, error) {
	samples := append([]reports.TargetSample(nil), in.Target...)
	sort.SliceStable(samples, func(i, j int) bool { return samples[i].At.Before(samples[j].At) })
	panels := newTargetPanels()
	seen := map[string]bool{}
	for _, s := range samples {
		for name := range s.Values {
			if !seen[name] {
				seen[name] = true
				if k := classifyTargetMetric(name); k >= 0 {
					panels[k].names = append(panels[k].names, name)
				}
			}
		}
	}
	if len(samples) == 0 {
		return nil, nil
	}
	x0, x1 := ax.At(samples[0].At), ax.At(samples[len(samples)-1].At)
	if x1 <= x0 {
		x1 = x0 + 1
	}
	marks := eventsOn(in.Summary.Events, ax, x0, x1)
	var figs []*figure
	for k := range panels {
		tp := &panels[k]
		sort.Strings(tp.names)
		var left []string
		if len(tp.names) > maxSeriesPerPanel {
			left = tp.names[maxSeriesPerPanel:]
			tp.names = tp.names[:maxSeriesPerPanel]
		}
		if len(tp.names) == 0 {
			continue
		}
		f, err := targetFigure(samples, ax, tp, marks)
		if err != nil {
			return nil, err
		}
		f.panels[0].X.Min, f.panels[0].X.Max = x0, x1
		if len(left) > 0 {
			f.caption += " Not drawn, to keep the chart readable: " + strings.Join(left, ", ") + "."
		}
		figs = append(figs, f)
	}
	return figs, nil
}

// targetFigure is one group's chart.
func targetFigure(samples []reports.TargetSample, ax reports.TimeAxis, tp *targetPanel, marks []eventMark) (*figure, error) {
	f := &figure{
		name:        "target-" + tp.name,
		title:       "The target's own metrics, scraped during the run: " + tp.title,
		panelHeight: panelHeight * 0.8,
	}
	p := newPanel(ax.Label, tp.title+" ("+tp.yLabel+")")
	p.Y.Min = 0
	highest := 0.0
	for i, name := range tp.names {
		xs, ys := targetSeries(samples, ax, name, tp.rate, tp.scale)
		for _, y := range ys {
			if !math.IsNaN(y) {
				highest = math.Max(highest, y)
			}
		}
		sty := solidLine(seriesColor(i))
		if err := addLine(p, xs, ys, sty); err != nil {
			return nil, fmt.Errorf("target chart %s: %w", tp.name, err)
		}
		label := targetLabel(name)
		switch {
		case tp.rate:
			label += " /s"
		case tp.scale != 0:
			label = strings.TrimSuffix(label, " bytes") + " (MiB)"
		}
		f.legend = append(f.legend, legendItem{label: label, line: sty})
	}
	headroom(p, highest)
	if len(marks) > 0 {
		p.Add(&eventMarks{marks: marks, labels: true})
		f.legend = append(f.legend, legendItem{label: "event", line: eventLine()})
	}
	f.panels = []*plot.Plot{p}
	f.caption = "Summed over every instance and worker the scrape reached."
	if tp.rate {
		f.caption = "Counters (names ending _total) as their increase per second, summed over every instance and worker the scrape reached."
	}
	return f, nil
}

// targetSeries returns one metric's points; a counter becomes its rate
// between consecutive samples, with a gap where it went down (a restart).
func targetSeries(samples []reports.TargetSample, ax reports.TimeAxis, name string, rate bool, scale float64) (xs, ys []float64) {
	if scale == 0 {
		scale = 1
	}
	prevAt, prevV, havePrev := time.Time{}, 0.0, false
	for _, s := range samples {
		v, ok := s.Values[name]
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			xs, ys = append(xs, ax.At(s.At)), append(ys, math.NaN())
			havePrev = false
			continue
		}
		if !rate {
			xs, ys = append(xs, ax.At(s.At)), append(ys, v*scale)
			continue
		}
		if havePrev {
			dt := s.At.Sub(prevAt).Seconds()
			y := math.NaN()
			if dt > 0 && v >= prevV {
				y = (v - prevV) / dt * scale
			}
			xs, ys = append(xs, ax.At(s.At)), append(ys, y)
		}
		prevAt, prevV, havePrev = s.At, v, true
	}
	return xs, ys
}
