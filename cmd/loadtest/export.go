package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"loadharness"
	"loadharness/harness/rundir"
	"loadharness/internal/suggest"
)

// exportFormats are the formats `loadtest export` writes.
var exportFormats = []string{"vegeta"}

// cmdExport writes a run's raw results in a form another tool reads whole.
// Its one format is Vegeta's: results.json is already Vegeta's JSON, which
// `vegeta report` reads, but `vegeta plot` refuses it (see
// rundir.ExportVegeta), and its figures mix phases and dropped hits.
func cmdExport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: loadtest export vegeta DIR|RESULTS-FILE [--scenario NAME] [--phases main|all|LIST] [-o FILE]")
		fmt.Fprintln(stderr, "Writes a run's requests for `vegeta report` and `vegeta plot`: in send order, each scenario's")
		fmt.Fprintln(stderr, "seq renumbered from 0, the main phase only unless --phases says otherwise. Records of dropped")
		fmt.Fprintln(stderr, "and skipped hits are left out: they are hits never sent, not requests (summary.json counts them).")
		fs.PrintDefaults()
	}
	scenario := fs.String("scenario", "", "export this scenario only (default: every scenario)")
	phaseList := fs.String("phases", "main", "phases to export: main, all, or a comma list of main, setup, warmup")
	out := fs.String("o", "", "write to this file, through a rename (default: standard output)")
	positional, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return flagExit(fs, err, stderr)
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "loadtest export: %v\n", err)
		return loadharness.ExitHarness
	}
	if len(positional) != 2 {
		fmt.Fprintln(stderr, "loadtest export: give a format and one run directory or raw results file")
		fs.Usage()
		return loadharness.ExitHarness
	}
	if err := checkExportFormat(positional[0]); err != nil {
		return fail(err)
	}
	phases, err := parsePhaseList(*phaseList)
	if err != nil {
		return fail(fmt.Errorf("--phases: %w", err))
	}
	opts := rundir.VegetaExport{Scenario: *scenario, Phases: phases}
	export := func(w io.Writer) (rundir.ExportStats, error) {
		return rundir.ExportVegeta(ctx, positional[1], w, opts)
	}
	var st rundir.ExportStats
	if *out == "" {
		st, err = export(stdout)
	} else {
		st, err = exportToFile(*out, positional[1], export)
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return loadharness.ExitHarness
	}
	fmt.Fprintf(stderr, "loadtest export: %s\n", describeExport(st, *phaseList))
	if st.Truncated != nil {
		fmt.Fprintf(stderr, "loadtest export: warning: %v; the complete lines before it were exported\n", st.Truncated)
	}
	return loadharness.ExitPass
}

// checkExportFormat refuses a format export does not write.
func checkExportFormat(format string) error {
	for _, f := range exportFormats {
		if f == format {
			return nil
		}
	}
	msg := fmt.Sprintf("unknown format %q (formats: %s)", format, strings.Join(exportFormats, ", "))
	if best, ok := suggest.Closest(format, exportFormats, 2); ok {
		msg += fmt.Sprintf("; did you mean %s?", best)
	}
	return errors.New(msg)
}

// parsePhaseList reads --phases: "all", or a comma list of phase names.
func parsePhaseList(s string) ([]loadharness.Phase, error) {
	if strings.TrimSpace(s) == "all" {
		return loadharness.Phases, nil
	}
	var names []string
	for _, p := range loadharness.Phases {
		names = append(names, p.String())
	}
	var phases []loadharness.Phase
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		p, ok := loadharness.ParsePhase(part)
		if !ok {
			msg := fmt.Sprintf("unknown phase %q (phases: all, %s)", part, strings.Join(names, ", "))
			if best, ok := suggest.Closest(part, append(names, "all"), 2); ok {
				msg += fmt.Sprintf("; did you mean %s?", best)
			}
			return nil, errors.New(msg)
		}
		phases = append(phases, p)
	}
	return phases, nil
}

// exportToFile runs export into a temporary file beside path and renames
// it over path, so that a failed or interrupted export leaves no half file
// and path as it was. path must not be the input it reads.
func exportToFile(path, input string, export func(io.Writer) (rundir.ExportStats, error)) (st rundir.ExportStats, err error) {
	if isInput(path, input) {
		return st, fmt.Errorf("-o %s is the raw results file being exported: give another file", path)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return st, fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	st, err = export(tmp)
	if err != nil {
		tmp.Close()
		return st, err
	}
	err = tmp.Sync()
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return st, fmt.Errorf("write %s: %w", path, err)
	}
	return st, nil
}

// isInput reports whether path is input's raw results file (input itself,
// or results.json in the run directory or beside the summary.json given).
func isInput(path, input string) bool {
	candidates := []string{input, filepath.Join(input, rundir.ResultsFile)}
	if filepath.Base(input) == rundir.SummaryFile {
		candidates = append(candidates, filepath.Join(filepath.Dir(input), rundir.ResultsFile))
	}
	for _, c := range candidates {
		if sameFile(path, c) {
			return true
		}
	}
	return false
}

// sameFile reports whether a and b name one existing file.
func sameFile(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// describeExport says what was written and what was left out, and why.
func describeExport(st rundir.ExportStats, phases string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests of %s (phases: %s) from %s, in send order",
		st.Requests, strings.Join(st.Scenarios, ", "), phases, st.Path)
	var left []string
	if st.OtherPhases > 0 {
		left = append(left, fmt.Sprintf("%d requests of other phases", st.OtherPhases))
	}
	if st.DroppedRecords > 0 {
		left = append(left, fmt.Sprintf("%d records of %d hits never sent (dropped or skipped: not requests; summary.json counts them as failures)",
			st.DroppedRecords, st.DroppedHits))
	}
	if len(left) > 0 {
		b.WriteString("; left out: " + strings.Join(left, ", "))
	}
	return b.String()
}
