package rundir

import (
	"bytes"
	"fmt"
	"io"
	"loadharness/reports"
	"loadharness/reports/charts"
	"math"
	"os"
	"path/filepath"
)

// WriteArtefacts writes the sign-off report of a run into outDir:
// report.html (self-contained), report.md with its charts under charts/
// (PNG and SVG), junit.xml, and, when known, environment.json and
// target-metrics.json so the report can be regenerated. It draws the
// charts (whatever in.Charts holds) and renders them once for all of them.
// summary.json is the caller's.
func WriteArtefacts(outDir string, in reports.ReportInput) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	drawn, err := charts.For(in)
	if err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if in.Charts, err = WriteChartFiles(outDir, drawn); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{ReportHTMLFile, func(w io.Writer) error { return reports.WriteHTML(w, in) }},
		{ReportMarkdownFile, func(w io.Writer) error { return reports.WriteMarkdown(w, in) }},
		{JUnitFile, func(w io.Writer) error { return reports.WriteJUnit(w, in.Summary) }},
	}
	if !in.Environment.IsZero() {
		files = append(files, struct {
			name  string
			write func(io.Writer) error
		}{EnvironmentFile, func(w io.Writer) error { return reports.WriteJSON(w, in.Environment) }})
	}
	if len(in.Target) > 0 {
		files = append(files, struct {
			name  string
			write func(io.Writer) error
		}{TargetMetricsFile, func(w io.Writer) error { return reports.WriteJSON(w, finiteSamples(in.Target)) }})
	}
	for _, f := range files {
		if err := WriteFile(filepath.Join(outDir, f.name), f.write); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// WriteChartFiles renders every chart as PNG and SVG, then writes them
// into dir's ChartDir (created if missing) as NAME.png and NAME.svg, and
// returns them as the report in dir shows them: the PNG inlined in
// report.html, linked from report.md as ChartDir/NAME.png. Nothing is
// written when a chart fails to render.
func WriteChartFiles(dir string, cs []charts.Chart) ([]reports.ChartImage, error) {
	images := make([]reports.ChartImage, 0, len(cs))
	svgs := make([][]byte, 0, len(cs))
	for _, ch := range cs {
		var png, svg bytes.Buffer
		if err := ch.Render(&png, charts.PNG); err != nil {
			return nil, err
		}
		if err := ch.Render(&svg, charts.SVG); err != nil {
			return nil, err
		}
		images = append(images, reports.ChartImage{
			Name: ch.Name, Title: ch.Title, Caption: ch.Caption, PNG: png.Bytes(),
			Path: ChartDir + "/" + ch.Name + ".png",
		})
		svgs = append(svgs, svg.Bytes())
	}
	chartDir := filepath.Join(dir, ChartDir)
	if err := os.MkdirAll(chartDir, 0o755); err != nil {
		return nil, fmt.Errorf("write charts: %w", err)
	}
	for i, img := range images {
		if err := WriteFile(filepath.Join(chartDir, img.Name+".png"), bytesWriter(img.PNG)); err != nil {
			return nil, fmt.Errorf("write charts: %w", err)
		}
		if err := WriteFile(filepath.Join(chartDir, img.Name+".svg"), bytesWriter(svgs[i])); err != nil {
			return nil, fmt.Errorf("write charts: %w", err)
		}
	}
	return images, nil
}

// bytesWriter is a WriteFile body that writes b.
func bytesWriter(b []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}
}

// finiteSamples drops the values JSON cannot hold (NaN, ±Inf), which a
// scrape of a broken exporter can yield.
func finiteSamples(samples []reports.TargetSample) []reports.TargetSample {
	out := make([]reports.TargetSample, len(samples))
	for i, s := range samples {
		values := make(map[string]float64, len(s.Values))
		for name, v := range s.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				values[name] = v
			}
		}
		out[i] = reports.TargetSample{At: s.At, Values: values}
	}
	return out
}

// WriteRun writes everything a run leaves in dir beside its raw results:
// summary.json first (the verdict stands even if a report fails to render),
// then the sign-off report. The caller created ResultsFile with
// CreateResults and closed it.
func WriteRun(dir string, in reports.ReportInput) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write run: %w", err)
	}
	if err := WriteSummary(dir, in.Summary); err != nil {
		return err
	}
	return WriteArtefacts(dir, in)
}

// CreateResults creates dir (when needed) and dir/results.json for the raw
// results of a run, which stream into it while the run goes on.
func CreateResults(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("output directory: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, ResultsFile))
	if err != nil {
		return nil, fmt.Errorf("raw results: %w", err)
	}
	return f, nil
}

// WriteSummary writes dir/summary.json through a rename, so that a reader
// never sees half a summary.
func WriteSummary(dir string, s reports.Summary) error {
	if err := WriteFile(filepath.Join(dir, SummaryFile), func(w io.Writer) error { return reports.WriteSummaryJSON(w, s) }); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// WriteFile writes path through write into a temporary file beside it and
// a rename, so that a reader never sees half a file and a failed write
// leaves the previous file as it was.
func WriteFile(path string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}
