package charts

import (
	"image/color"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"loadharness"
	"loadharness/reports"
)

// unnamedLabel is the band of requests no instance answered for: refused
// connections, timeouts, or a target that does not name itself.
const unnamedLabel = "no instance named (no response, or no header)"

// instancesFigure is the share of one scenario's requests each instance
// served, second by second, stacked to 100%: the balancer's spread, and
// the failover when one band vanishes and the others widen. nil when no
// response named its instance.
func instancesFigure(in reports.ReportInput, ax reports.TimeAxis, sc reports.ScenarioSummary, ser series) *figure {
	names := instanceNames(ser)
	if len(names) == 0 {
		return nil
	}
	// Colours follow the instance across every scenario's chart.
	all := in.Aggregate.Snapshot(loadharness.Scope{}).Instances
	colorOf := map[string]int{}
	for i, name := range sortedKeys(all) {
		colorOf[name] = i
	}
	cols := &stackedColumns{colors: make([]color.Color, 0, len(names)+1)}
	f := &figure{
		name:  "instances-" + fileSafe(sc.Name),
		title: sc.Name + ": share of requests by instance",
	}
	for _, name := range names {
		cols.colors = append(cols.colors, seriesColor(colorOf[name]))
		f.legend = append(f.legend, legendItem{label: name, fill: seriesColor(colorOf[name])})
	}
	cols.colors = append(cols.colors, colorUnnamed)
	anyUnnamed := false
	for _, pt := range ser.points {
		if pt.requests == 0 {
			continue
		}
		col := column{x0: pt.x0, x1: pt.x1, shares: make([]float64, len(names)+1)}
		named := 0
		for i, name := range names {
			c := pt.instances[name]
			named += c
			col.shares[i] = 100 * float64(c) / float64(pt.requests)
		}
		if rest := pt.requests - named; rest > 0 {
			col.shares[len(names)] = 100 * float64(rest) / float64(pt.requests)
			anyUnnamed = true
		}
		cols.columns = append(cols.columns, col)
	}
	if anyUnnamed {
		f.legend = append(f.legend, legendItem{label: unnamedLabel, fill: colorUnnamed})
	}
	p := newPanel(ax.Label, "share of requests (%)")
	f.panels = []*plot.Plot{p}
	x0, x1 := ser.span()
	x0, x1 = shadePhases(f, in, ax, sc.Name, x0, x1)
	p.Add(cols)
	if marks := eventsOn(in.Summary.Events, ax, x0, x1); len(marks) > 0 {
		p.Add(&eventMarks{marks: marks, labels: true})
		f.legend = append(f.legend, legendItem{label: "event", line: eventLine()})
	}
	p.X.Min, p.X.Max = x0, x1
	p.Y.Min, p.Y.Max = 0, 100
	f.panels = []*plot.Plot{p}
	f.panelHeight = panelHeight * 0.8
	f.caption = "Each column is one second's requests split by the instance that answered (the X-Instance header). " +
		"An even split shows the balancer at work; a band that vanishes is an instance gone." + ser.perPointNote()
	return f
}

// instanceNames lists the instances of a series by name.
func instanceNames(ser series) []string {
	total := map[string]int{}
	for _, pt := range ser.points {
		for name, c := range pt.instances {
			total[name] += c
		}
	}
	return sortedKeys(total)
}

// sortedKeys returns m's keys in natural order: "instance-2" before
// "instance-10".
func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return naturalLess(keys[i], keys[j]) })
	return keys
}

// naturalLess orders strings with runs of digits compared as numbers.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digitRun(a), digitRun(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digitRun(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}

// column is one stacked column: shares in percent, bottom first.
type column struct {
	x0, x1 float64
	shares []float64
}

// stackedColumns draws columns of stacked shares. It is a plot.Plotter.
type stackedColumns struct {
	columns []column
	colors  []color.Color
}

var (
	_ plot.Plotter    = (*stackedColumns)(nil)
	_ plot.DataRanger = (*stackedColumns)(nil)
)

// DataRange covers the columns and 0..100%.
func (s *stackedColumns) DataRange() (xmin, xmax, ymin, ymax float64) {
	if len(s.columns) == 0 {
		return 0, 1, 0, 100
	}
	return s.columns[0].x0, s.columns[len(s.columns)-1].x1, 0, 100
}

// Plot fills each band as one polygon per run of adjacent columns: drawn
// column by column, antialiasing would leave a seam between every two.
func (s *stackedColumns) Plot(c draw.Canvas, plt *plot.Plot) {
	trX, trY := plt.Transforms(&c)
	bands := len(s.colors)
	for start := 0; start < len(s.columns); {
		end := start + 1
		for end < len(s.columns) && s.columns[end].x0 == s.columns[end-1].x1 {
			end++
		}
		run := s.columns[start:end]
		below := make([]float64, len(run)) // cumulative share under the band
		for band := 0; band < bands; band++ {
			var lower, upper []vg.Point
			any := false
			for i, col := range run {
				share := 0.0
				if band < len(col.shares) {
					share = col.shares[band]
				}
				any = any || share > 0
				x0, x1 := trX(col.x0), trX(col.x1)
				lo, hi := trY(below[i]), trY(below[i]+share)
				lower = append(lower, vg.Point{X: x0, Y: lo}, vg.Point{X: x1, Y: lo})
				upper = append(upper, vg.Point{X: x0, Y: hi}, vg.Point{X: x1, Y: hi})
				below[i] += share
			}
			if !any {
				continue
			}
			slices.Reverse(upper)
			c.FillPolygon(s.colors[band], append(lower, upper...))
		}
		start = end
	}
}
