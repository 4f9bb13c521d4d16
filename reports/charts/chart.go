package charts

import (
	"fmt"
	"io"

	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"loadharness"
	"loadharness/reports"
)

// Format is an image format a chart renders to; its value is the format's
// usual file extension.
type Format string

// The formats a chart renders to.
const (
	PNG Format = "png"
	SVG Format = "svg"
)

// Chart is one chart of a report, drawn and ready to render.
type Chart struct {
	// Name is unique within a report and the same from run to run, for
	// example "latency-browse" or "target-load": callers name files
	// after it.
	Name string
	// Title says what the chart shows; Caption how to read it.
	Title   string
	Caption string

	fig *figure
}

// Render encodes the chart in format into w. It may be called once per
// format, or more, but not from two goroutines at once. A panic inside the
// plotting library (it panics on some degenerate ranges) becomes an error:
// one broken chart must not take the whole report down.
func (c Chart) Render(w io.Writer, format Format) (err error) {
	if c.fig == nil {
		return fmt.Errorf("render chart %s: not drawn by this package", c.Name)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("render chart %s: %v", c.Name, r)
		}
	}()
	width, height := chartWidth, c.fig.height()
	switch format {
	case PNG:
		img := vgimg.NewWith(vgimg.UseWH(width, height), vgimg.UseDPI(chartDPI))
		c.fig.draw(draw.New(img))
		_, err = vgimg.PngCanvas{Canvas: img}.WriteTo(w)
	case SVG:
		svg := vgsvg.New(width, height)
		c.fig.draw(draw.New(svg))
		_, err = svg.WriteTo(w)
	default:
		return fmt.Errorf("render chart %s: unknown format %q", c.Name, format)
	}
	if err != nil {
		return fmt.Errorf("render chart %s: %w", c.Name, err)
	}
	return nil
}

// For returns every chart of in, in reading order: for each scenario its
// latency, its steps' p95 (two steps or more), throughput and errors, users
// in a request, and instance share; then the latency
// distribution; then the target's own metrics. Charts are drawn from the
// aggregate's per-second figures and histograms only, so their cost grows
// with the run's duration, not its requests. Without an aggregate only the
// target chart can be drawn. in.Charts is not looked at.
func For(in reports.ReportInput) ([]Chart, error) {
	var figs []*figure
	var ax reports.TimeAxis
	switch {
	case in.Aggregate != nil:
		ax = reports.NewTimeAxis(in.Aggregate)
		for _, sc := range in.Summary.Scenarios {
			ser := seriesOf(in.Aggregate.Seconds(loadharness.Scope{Scenario: sc.Name}), ax)
			if len(ser.points) == 0 {
				continue
			}
			lat, err := latencyFigure(in, ax, sc.Name, ser)
			if err != nil {
				return nil, err
			}
			tp, err := throughputFigure(in, ax, sc, ser)
			if err != nil {
				return nil, err
			}
			steps, err := stepFigures(in, ax, sc)
			if err != nil {
				return nil, err
			}
			users, err := usersFigure(in, ax, sc, ser)
			if err != nil {
				return nil, err
			}
			figs = append(figs, lat)
			figs = append(figs, steps...)
			figs = append(figs, tp, users)
			if inst := instancesFigure(in, ax, sc, ser); inst != nil {
				figs = append(figs, inst)
			}
		}
		dist, err := distributionFigure(in)
		if err != nil {
			return nil, err
		}
		if dist != nil {
			figs = append(figs, dist)
		}
	case len(in.Target) > 0:
		ax = reports.TimeAxis{Start: in.Target[0].At, Unit: 1, Label: "time since the first sample (s)"}
	}
	if len(in.Target) > 0 {
		tf, err := targetFigures(in, ax)
		if err != nil {
			return nil, err
		}
		figs = append(figs, tf...)
	}
	charts := make([]Chart, 0, len(figs))
	for _, f := range figs {
		charts = append(charts, f.chart())
	}
	return charts, nil
}
