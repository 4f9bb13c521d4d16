package charts

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"loadharness/reports"
)

// maxSeriesPerPanel keeps a panel readable; the rest are left out and the
// caption says which.
const maxSeriesPerPanel = 6

// targetPanel groups target metrics that share a unit.
type targetPanel struct {
	title, yLabel string
	rate          bool    // counters: drawn as increase per second
	scale         float64 // multiplies every value (bytes to MiB)
	names         []string
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
		panelLoad:    {title: "in the target", yLabel: "requests"},
		panelRates:   {title: "work done", yLabel: "/s", rate: true},
		panelTrouble: {title: "trouble", yLabel: "/s", rate: true},
		panelRedis:   {title: "Redis", yLabel: "count"},
		panelMemory:  {title: "memory", yLabel: "MiB", scale: 1.0 / (1 << 20)},
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

// targetFigure charts the target's own metrics over the run, one panel per
// unit on a shared time axis. nil when no sample holds a charted metric.
func targetFigure(in reports.ReportInput, ax reports.TimeAxis) (*figure, error) {
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
	f := &figure{name: "target-metrics", title: "The target's own metrics, scraped during the run", panelHeight: panelHeight * 0.7}
	var left []string
	colorIndex := 0
	for k := range panels {
		tp := &panels[k]
		sort.Strings(tp.names)
		if len(tp.names) > maxSeriesPerPanel {
			left = append(left, tp.names[maxSeriesPerPanel:]...)
			tp.names = tp.names[:maxSeriesPerPanel]
		}
		if len(tp.names) == 0 {
			continue
		}
		// The panel's name goes in its y label: a title above a panel reads
		// as the x label of the panel over it.
		p := newPanel("", tp.title+" ("+tp.yLabel+")")
		p.Y.Min = 0
		highest := 0.0
		for _, name := range tp.names {
			xs, ys := targetSeries(samples, ax, name, tp.rate, tp.scale)
			for _, y := range ys {
				if !math.IsNaN(y) {
					highest = math.Max(highest, y)
				}
			}
			sty := solidLine(seriesColor(colorIndex))
			colorIndex++
			if err := addLine(p, xs, ys, sty); err != nil {
				return nil, fmt.Errorf("target chart: %w", err)
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
		f.panels = append(f.panels, p)
	}
	if len(f.panels) == 0 {
		return nil, nil
	}
	x0, x1 := ax.At(samples[0].At), ax.At(samples[len(samples)-1].At)
	if x1 <= x0 {
		x1 = x0 + 1
	}
	if marks := eventsOn(in.Summary.Events, ax, x0, x1); len(marks) > 0 {
		for i, p := range f.panels {
			p.Add(&eventMarks{marks: marks, labels: i == 0})
		}
		f.legend = append(f.legend, legendItem{label: "event", line: eventLine()})
	}
	for _, p := range f.panels {
		p.X.Min, p.X.Max = x0, x1
	}
	f.panels[len(f.panels)-1].X.Label.Text = ax.Label
	f.caption = "Gauges as read; counters (names ending _total) as their increase per second; summed over every " +
		"instance and worker the scrape reached."
	if len(left) > 0 {
		f.caption += " Not drawn, to keep the panels readable: " + strings.Join(left, ", ") + "."
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
