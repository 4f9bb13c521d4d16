package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"loadharness"
	"loadharness/harness/rundir"
	"loadharness/reports"
)

// exitRegression is compare's exit code when the new run regressed beyond
// the noise; it is ExitFail, as a failed gate.
const exitRegression = loadharness.ExitFail

// cmdCompare judges a new run against a baseline and exits 1 on a
// regression beyond the noise.
func cmdCompare(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: loadtest compare BASELINE [BASELINE...] NEW [--format text|markdown|json]")
		fmt.Fprintln(stderr, "BASELINE and NEW are run directories or summary.json files; results.json beside them is")
		fmt.Fprintln(stderr, "used to test every change against the noise. Give several baselines, oldest first (the past")
		fmt.Fprintln(stderr, "nights), to measure run-to-run noise too; the last one is the reference. Exit 1 on a regression.")
		fs.PrintDefaults()
	}
	format := fs.String("format", "text", "output format: text, markdown or json")
	confidence := fs.Float64("confidence", reports.DefaultConfidence, "confidence level of the bootstrap intervals")
	minChange := fs.Float64("min-change", 100*reports.DefaultMinLatencyChange, "smallest latency increase (and throughput drop) worth flagging, in percent")
	resamples := fs.Int("resamples", reports.DefaultResamples, "bootstrap replicates per test")
	paths, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return flagExit(fs, err, stderr)
	}
	if len(paths) < 2 {
		fmt.Fprintf(stderr, "loadtest compare: want at least one BASELINE and NEW, got %d argument(s)\n", len(paths))
		fs.Usage()
		return loadharness.ExitHarness
	}
	f, err := reports.ParseCompareFormat(*format)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest compare: %v\n", err)
		return loadharness.ExitHarness
	}
	if *confidence <= 0 || *confidence >= 1 || *minChange <= 0 || *resamples < 100 {
		fmt.Fprintln(stderr, "loadtest compare: --confidence must be in (0, 1), --min-change above 0, --resamples at least 100")
		return loadharness.ExitHarness
	}
	runs := make([]reports.CompareRun, len(paths))
	for i, path := range paths {
		in, err := rundir.LoadRuns(ctx, []string{path})
		if err != nil {
			fmt.Fprintf(stderr, "loadtest: %v\n", err)
			return loadharness.ExitHarness
		}
		runs[i] = reports.CompareRun{Label: path, Summary: in.Summary, Aggregate: in.Aggregate}
	}
	c := reports.CompareHistory(runs[:len(runs)-1], runs[len(runs)-1], reports.CompareOptions{
		Resamples:           *resamples,
		Confidence:          *confidence,
		MinLatencyChange:    *minChange / 100,
		MinThroughputChange: *minChange / 100,
	})
	if err := reports.WriteComparison(stdout, c, f); err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return loadharness.ExitHarness
	}
	if c.Regressions > 0 {
		return exitRegression
	}
	return 0
}
