package rundir

import (
	"bytes"
	"fmt"
	"io"
	"loadharness/reports"
	"math"
	"os"
	"path/filepath"
)

// WriteArtefacts writes the sign-off report of a run into outDir:
// report.html (self-contained), report.md with its charts under charts/
// (PNG and SVG), junit.xml, and, when known, environment.json and
// target-metrics.json so the report can be regenerated. It renders the
// charts once for all of them. summary.json is the caller's.
func WriteArtefacts(outDir string, in reports.ReportInput) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if in.Charts == nil {
		charts, err := reports.RenderCharts(in)
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		in.Charts = charts
	}
	if _, err := reports.WriteCharts(filepath.Join(outDir, reports.ChartDir), in); err != nil {
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
