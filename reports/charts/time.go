package charts

import (
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"loadharness/reports"
	"loadharness/reports/aggregate"
)

// plotAdder is what the helpers draw into: a *plot.Plot.
type plotAdder interface{ Add(ps ...plot.Plotter) }

// maxPoints bounds the points of a time line: a soak of hours is drawn a
// few seconds per point rather than one, which no screen could show anyway.
const maxPoints = 1200

// seriesPoint is a group of consecutive seconds drawn as one point.
type seriesPoint struct {
	// x0 and x1 bound the group on the axis; xm is its middle.
	x0, x1, xm       float64
	requests, failed int
	// p50, p95 and p99 are the worst of the group's seconds (a spike must
	// not average away); NaN when the group saw no request.
	p50, p95, p99 float64
	// inFlight is the mean number of requests in flight over the group.
	inFlight  float64
	instances map[string]int
}

// series is a scope's seconds over its active window, grouped so that at
// most maxPoints remain.
type series struct {
	points []seriesPoint
	// group is how many seconds each point covers.
	group int
}

func seriesOf(seconds []aggregate.SecondStats, ax reports.TimeAxis) series {
	first, last := aggregate.ActiveWindow(seconds)
	if first < 0 {
		return series{group: 1}
	}
	n := last - first + 1
	group := (n + maxPoints - 1) / maxPoints
	s := series{group: group}
	for g := first; g <= last; g += group {
		p := seriesPoint{
			x0: ax.X(float64(g)), x1: ax.X(float64(g + group)), xm: ax.X(float64(g) + float64(group)/2),
			p50: math.NaN(), p95: math.NaN(), p99: math.NaN(),
		}
		for i := g; i < g+group && i <= last; i++ {
			sec := seconds[i]
			p.inFlight += sec.InFlight / float64(group)
			if sec.Requests == 0 {
				continue
			}
			p.requests += sec.Requests
			p.failed += sec.Failed
			p.p50, p.p95, p.p99 = nanMax(p.p50, sec.P50), nanMax(p.p95, sec.P95), nanMax(p.p99, sec.P99)
			if len(sec.Instances) > 0 && p.instances == nil {
				p.instances = make(map[string]int, len(sec.Instances))
			}
			for name, c := range sec.Instances {
				p.instances[name] += c
			}
		}
		s.points = append(s.points, p)
	}
	return s
}

// span returns the x range the series covers.
func (s series) span() (float64, float64) {
	if len(s.points) == 0 {
		return 0, 1
	}
	return s.points[0].x0, s.points[len(s.points)-1].x1
}

// perPointNote says how many seconds a point stands for, when more than one.
func (s series) perPointNote() string {
	if s.group <= 1 {
		return ""
	}
	return " Each point covers " + strconv.Itoa(s.group) + " s (latency: the worst second of each)."
}

func nanMax(a, b float64) float64 {
	if math.IsNaN(a) {
		return b
	}
	return math.Max(a, b)
}

// lineXYs splits ys (NaN for gaps) into runs of points, one line each, so a
// second without requests is a gap rather than a fall to zero.
func lineXYs(xs, ys []float64) []plotter.XYs {
	var out []plotter.XYs
	var cur plotter.XYs
	for i := range xs {
		if math.IsNaN(ys[i]) || math.IsInf(ys[i], 0) {
			if len(cur) > 0 {
				out = append(out, cur)
				cur = nil
			}
			continue
		}
		cur = append(cur, plotter.XY{X: xs[i], Y: ys[i]})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// addLine draws ys against xs with gaps; a run of one point is a dot, so a
// lone second still shows.
func addLine(p plotAdder, xs, ys []float64, sty draw.LineStyle) error {
	for _, xys := range lineXYs(xs, ys) {
		if len(xys) == 1 {
			sc, err := plotter.NewScatter(xys)
			if err != nil {
				return err
			}
			sc.GlyphStyle = draw.GlyphStyle{Color: sty.Color, Radius: vg.Points(1.8), Shape: draw.CircleGlyph{}}
			p.Add(sc)
			continue
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return err
		}
		l.LineStyle = sty
		p.Add(l)
	}
	return nil
}

// hline draws a horizontal line at y from x0 to x1.
func hline(p plotAdder, x0, x1, y float64, sty draw.LineStyle) error {
	l, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	if err != nil {
		return err
	}
	l.LineStyle = sty
	p.Add(l)
	return nil
}

// niceTicks labels an axis at round steps (1, 2, 5 × 10^k), about labels
// of them across, with an unlabelled tick between labels: the default
// ticker leaves a time axis with three labels, too few to place an event.
type niceTicks struct{ labels int }

var _ plot.Ticker = niceTicks{}

// Ticks returns the ticks between lo and hi.
func (t niceTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(hi > lo) || math.IsInf(hi-lo, 0) || t.labels < 2 {
		return plot.DefaultTicks{}.Ticks(lo, hi)
	}
	step := niceStep((hi - lo) / float64(t.labels))
	half := step / 2
	var ticks []plot.Tick
	for i := math.Ceil(lo/half - 1e-9); i*half <= hi+half*1e-9 && len(ticks) <= 4*t.labels; i++ {
		v := i*half + 0 // + 0 turns -0 into 0, which must not print as "-0"
		tick := plot.Tick{Value: v}
		if math.Mod(i, 2) == 0 {
			// 12 digits: 3 × 0.2 is 0.6000000000000001 in float64.
			tick.Label = strconv.FormatFloat(v, 'g', 12, 64)
		}
		ticks = append(ticks, tick)
	}
	return ticks
}

// niceStep rounds raw up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*pow >= raw {
			return m * pow
		}
	}
	return 10 * pow
}

// headroom sets the y axis top a little above the highest value drawn, so
// no line runs along the frame.
func headroom(p *plot.Plot, highest float64) {
	if highest > 0 && !math.IsInf(highest, 0) {
		p.Y.Max = math.Max(p.Y.Max, highest*1.12)
	}
}
