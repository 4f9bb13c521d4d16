package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"loadharness"
	"loadharness/harness/rundir"
	"loadharness/reports"
)

// cmdReport regenerates every artefact of one or more runs from what they
// left on disk, without running anything; several inputs merge, as the
// shards of one run. It exits with the verdict's code, like run.
func cmdReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: loadtest report DIR|RESULTS-FILE... [--out DIR]")
		fmt.Fprintln(stderr, "Regenerates summary.json, report.html, report.md, charts/ and junit.xml from raw results;")
		fmt.Fprintln(stderr, "several inputs are merged into one report (the shards of a distributed run).")
		fs.PrintDefaults()
	}
	outDir := fs.String("out", "", "directory for the artefacts (default: the input directory when there is one, else out/report)")
	quiet := fs.Bool("quiet", false, "do not print the verdict table")
	inputs, err := parseInterleaved(fs, args)
	if err != nil {
		return loadharness.ExitHarness
	}
	if len(inputs) == 0 {
		fmt.Fprintln(stderr, "loadtest report: give at least one run directory or raw results file")
		fs.Usage()
		return loadharness.ExitHarness
	}
	if *outDir == "" {
		*outDir = defaultReportDir(inputs)
	}
	summary, err := rundir.Report(ctx, inputs, *outDir)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return loadharness.ExitHarness
	}
	if !*quiet {
		if err := reports.WriteVerdictTable(stdout, summary); err != nil {
			fmt.Fprintf(stderr, "loadtest: %v\n", err)
		}
	}
	fmt.Fprintf(stdout, "report: %s\n", filepath.Join(*outDir, rundir.ReportHTMLFile))
	return loadharness.Judge(summary.Evidence()).ExitCode
}

// defaultReportDir regenerates a single run directory in place; anything
// else goes to out/report, never beside someone's raw file.
func defaultReportDir(inputs []string) string {
	if len(inputs) == 1 {
		if st, err := os.Stat(inputs[0]); err == nil && st.IsDir() {
			return inputs[0]
		}
	}
	return filepath.Join("out", "report")
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments ("report a b --out x"), which flag.Parse alone
// stops at; it returns the positional arguments in order.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
