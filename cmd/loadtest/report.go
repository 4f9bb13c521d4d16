package main

import (
	"context"
	"errors"
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
		fmt.Fprintln(stderr, "Usage: loadtest report DIR|RESULTS-FILE... [--out DIR | --in-place] [--baseline DIR]")
		fmt.Fprintln(stderr, "Regenerates summary.json, report.html, report.md, charts/ and junit.xml from raw results;")
		fmt.Fprintln(stderr, "several inputs are merged into one report (the shards of a distributed run). It never")
		fmt.Fprintln(stderr, "writes over its input unless --in-place is given.")
		fs.PrintDefaults()
	}
	outDir := fs.String("out", "", "directory for the artefacts (default out/report); never one of the inputs")
	inPlace := fs.Bool("in-place", false, "regenerate the artefacts of the one run directory given, over its own files")
	quiet := fs.Bool("quiet", false, "do not print the verdict table")
	baseline := fs.String("baseline", "", "a previous run directory or summary.json: the report carries the comparison with it (as 'loadtest compare' prints it)")
	inputs, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return flagExit(fs, err, stderr)
	}
	if len(inputs) == 0 {
		fmt.Fprintln(stderr, "loadtest report: give at least one run directory or raw results file")
		fs.Usage()
		return loadharness.ExitHarness
	}
	if *outDir, err = reportDir(inputs, *outDir, *inPlace); err != nil {
		fmt.Fprintf(stderr, "loadtest report: %v\n", err)
		return loadharness.ExitHarness
	}
	summary, err := rundir.ReportAgainst(ctx, inputs, *outDir, *baseline)
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

// reportDir chooses where a report goes: --in-place over the one run
// directory given, else --out or out/report, which must not be an input:
// a report never writes over what it reads unless told to.
func reportDir(inputs []string, out string, inPlace bool) (string, error) {
	if inPlace {
		if out != "" {
			return "", errors.New("--in-place and --out are alternatives: give one")
		}
		if len(inputs) != 1 {
			return "", fmt.Errorf("--in-place takes one run directory, not %d inputs", len(inputs))
		}
		if st, err := os.Stat(inputs[0]); err != nil || !st.IsDir() {
			return "", fmt.Errorf("--in-place takes a run directory; %s is not one", inputs[0])
		}
		return inputs[0], nil
	}
	if out == "" {
		out = filepath.Join("out", "report")
	}
	for _, in := range inputs {
		if sameDir(in, out) {
			return "", fmt.Errorf("--out %s is an input: give another directory, or --in-place to regenerate it over its own files", out)
		}
	}
	return out, nil
}

// sameDir reports whether a and b name one directory.
func sameDir(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	if errA != nil || errB != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	return os.SameFile(sa, sb)
}
