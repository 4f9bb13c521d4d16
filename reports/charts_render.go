package reports

import (
	"fmt"
	"os"
	"path/filepath"

	"loadharness"
)

// ChartDir is the directory, beside report.md, that holds its charts.
const ChartDir = "charts"

// ChartFile names the files one chart was written to, relative to the
// directory given to WriteCharts.
type ChartFile struct {
	Name  string
	Title string
	PNG   string
	SVG   string
}

// RenderCharts renders every chart of in, in reading order: for each
// scenario its latency, throughput and errors, and instance share; then the
// latency distribution; then the target's own metrics. Charts are drawn
// from the aggregate's per-second figures and histograms only, so their
// cost grows with the run's duration, not its requests. Without an
// aggregate only the target chart can be drawn.
func RenderCharts(in ReportInput) ([]Chart, error) {
	var figs []*figure
	var ax timeAxis
	switch {
	case in.Aggregate != nil:
		ax = newTimeAxis(in.Aggregate)
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
			figs = append(figs, lat, tp)
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
		ax = timeAxis{start: in.Target[0].At, unit: 1, label: "time since the first sample (s)"}
	}
	if len(in.Target) > 0 {
		tf, err := targetFigure(in, ax)
		if err != nil {
			return nil, err
		}
		if tf != nil {
			figs = append(figs, tf)
		}
	}
	charts := make([]Chart, 0, len(figs))
	for _, f := range figs {
		ch, err := f.render()
		if err != nil {
			return nil, err
		}
		charts = append(charts, ch)
	}
	return charts, nil
}

// chartsOf returns in's charts, rendering them unless the caller did.
func chartsOf(in ReportInput) ([]Chart, error) {
	if in.Charts != nil {
		return in.Charts, nil
	}
	return RenderCharts(in)
}

// WriteCharts writes every chart of in into dir (created if missing) as
// NAME.png and NAME.svg, and returns the files in reading order.
func WriteCharts(dir string, in ReportInput) ([]ChartFile, error) {
	charts, err := chartsOf(in)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("write charts: %w", err)
	}
	files := make([]ChartFile, 0, len(charts))
	for _, ch := range charts {
		cf := ChartFile{Name: ch.Name, Title: ch.Title, PNG: ch.Name + ".png", SVG: ch.Name + ".svg"}
		if err := os.WriteFile(filepath.Join(dir, cf.PNG), ch.PNG, 0o644); err != nil {
			return nil, fmt.Errorf("write charts: %w", err)
		}
		if err := os.WriteFile(filepath.Join(dir, cf.SVG), ch.SVG, 0o644); err != nil {
			return nil, fmt.Errorf("write charts: %w", err)
		}
		files = append(files, cf)
	}
	return files, nil
}
