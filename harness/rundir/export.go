package rundir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"loadharness"
	"loadharness/internal/suggest"
	"loadharness/scenarios"
)

// VegetaExport says what ExportVegeta writes.
type VegetaExport struct {
	// Scenario limits the export to one scenario; "" exports them all.
	Scenario string
	// Phases are the phases exported; none means the main phase only,
	// the one summary.json's headline figures and gates judge.
	Phases []loadharness.Phase
	// TempDir holds the sort's spilled runs; "" is os.TempDir().
	TempDir string
}

// ExportStats counts what an export wrote and what it left out.
type ExportStats struct {
	// Path is the raw results file read.
	Path string
	// Requests were written, Scenarios (in order of first sight) had some.
	Requests  int
	Scenarios []string
	// OtherPhases counts the requests of the exported scenarios in phases
	// not exported (setup, warm-up).
	OtherPhases int
	// DroppedRecords are records of hits never sent (dropped or skipped)
	// in the exported scope, standing for DroppedHits hits: they are not
	// requests, so they are never written.
	DroppedRecords, DroppedHits int
	// Truncated is the cut last line of an interrupted run's file, nil
	// when there was none; the complete lines before it were exported.
	Truncated *scenarios.TruncatedError
}

// ExportVegeta writes the raw results of a run (a run directory, its
// summary.json, or a raw results file) to w as a file that `vegeta report`
// and `vegeta plot` both read: requests only, in send order, with each
// scenario's sequence numbers renumbered 0, 1, … in that order. Vegeta's
// plot takes one series per attack (our scenario), walks it by sequence
// number from 0, waiting for each next number, and refuses a send time
// earlier than the one before. In results.json a scenario's numbers run
// through setup, warm-up, main phase and records of dropped hits (stamped
// with the second they fell due in), in the order the driver numbered
// them, not the order requests were sent; a selection of them has holes,
// at which the plot would wait for good and draw nothing after.
//
// Lines keep the harness's own headers, so the export is a raw results
// file too. Memory is bounded by an external sort (sortChunk results at a
// time); nothing is written before the whole input has been read, so bad
// input (an error naming the file and line) or a scenario not in the run
// leaves w untouched.
func ExportVegeta(ctx context.Context, input string, w io.Writer, opts VegetaExport) (ExportStats, error) {
	return exportVegeta(ctx, input, w, opts, externalSort{dir: opts.TempDir, chunk: sortChunk, fanIn: sortFanIn})
}

// exportVegeta is ExportVegeta with the sort's sizes given, for tests.
func exportVegeta(ctx context.Context, input string, w io.Writer, opts VegetaExport, sorter externalSort) (ExportStats, error) {
	path, err := rawResultsOf(input)
	if err != nil {
		return ExportStats{}, fmt.Errorf("export: %w", err)
	}
	st := ExportStats{Path: path}
	f, err := os.Open(path)
	if err != nil {
		return st, fmt.Errorf("export: %w", err)
	}
	defer f.Close()
	sel := newSelection(opts)
	next := sel.source(ctx, scenarios.NewRawReader(f), &st)
	res, err := sorter.sort(ctx, next)
	if err != nil {
		return st, fmt.Errorf("export: %s: %w", path, err)
	}
	defer res.Close()
	if err := sel.check(st); err != nil {
		return st, fmt.Errorf("export: %s: %w", path, err)
	}
	if err := writeVegeta(ctx, res, w, &st); err != nil {
		return st, fmt.Errorf("export: %w", err)
	}
	return st, nil
}

// rawResultsOf is the raw results file of a run directory, of the run
// whose summary.json is given, or the file itself.
func rawResultsOf(input string) (string, error) {
	st, err := os.Stat(input)
	if err != nil {
		return "", err
	}
	switch {
	case st.IsDir():
		input = filepath.Join(input, ResultsFile)
	case filepath.Base(input) == SummaryFile:
		input = filepath.Join(filepath.Dir(input), ResultsFile)
	default:
		return input, nil
	}
	if _, err := os.Stat(input); err != nil {
		return "", fmt.Errorf("no raw results: %w", err)
	}
	return input, nil
}

// selection is which results an export keeps.
type selection struct {
	scenario string
	phases   map[loadharness.Phase]bool
	// seen are the scenarios in the file, for a helpful word when the one
	// asked for is not there. A run has a handful.
	seen []string
	kept int
}

func newSelection(opts VegetaExport) *selection {
	s := &selection{scenario: opts.Scenario, phases: map[loadharness.Phase]bool{}}
	if len(opts.Phases) == 0 {
		s.phases[loadharness.PhaseMain] = true
	}
	for _, p := range opts.Phases {
		s.phases[p] = true
	}
	return s
}

// source yields the requests of rr the selection keeps, and counts the
// rest in st. A cut last line ends the input and is kept in st.
func (s *selection) source(ctx context.Context, rr *scenarios.RawReader, st *ExportStats) func(*loadharness.Result) error {
	return func(r *loadharness.Result) error {
		for {
			err := rr.Next(ctx, r)
			var cut *scenarios.TruncatedError
			if errors.As(err, &cut) {
				st.Truncated = cut
				return io.EOF
			}
			if err != nil {
				return err
			}
			if s.keep(r, st) {
				return nil
			}
		}
	}
}

// keep reports whether r is exported, and counts it in st when it is
// left out of the scope it belongs to.
func (s *selection) keep(r *loadharness.Result, st *ExportStats) bool {
	if !slices.Contains(s.seen, r.Scenario) {
		s.seen = append(s.seen, r.Scenario)
	}
	switch {
	case s.scenario != "" && r.Scenario != s.scenario:
		return false
	case !s.phases[r.Phase]:
		if r.Dropped == 0 {
			st.OtherPhases++
		}
		return false
	case r.Dropped > 0:
		st.DroppedRecords++
		st.DroppedHits += int(r.Dropped)
		return false
	}
	s.kept++
	return true
}

// check refuses an export that would write nothing: a scenario not in the
// file, or no request in the phases asked for.
func (s *selection) check(st ExportStats) error {
	if s.scenario != "" && !slices.Contains(s.seen, s.scenario) {
		msg := fmt.Sprintf("no scenario %q in the run (its scenarios: %s)", s.scenario, strings.Join(s.seen, ", "))
		if best, ok := suggest.Closest(s.scenario, s.seen, 2); ok {
			msg += fmt.Sprintf("; did you mean %q?", best)
		}
		return errors.New(msg)
	}
	switch {
	case s.kept > 0:
		return nil
	case len(s.seen) == 0:
		return errors.New("no result in the file")
	}
	var phases []string
	for _, p := range loadharness.Phases {
		if s.phases[p] {
			phases = append(phases, p.String())
		}
	}
	return fmt.Errorf("no request to export in phase %s (%d in other phases, %d records of hits never sent)",
		strings.Join(phases, ", "), st.OtherPhases, st.DroppedRecords)
}

// writeVegeta writes the sorted results to w, numbering each scenario's
// from 0 in send order.
func writeVegeta(ctx context.Context, res *sorted, w io.Writer, st *ExportStats) error {
	out := scenarios.NewRawWriter(w)
	seq := make(map[string]uint64)
	err := res.each(ctx, func(r *loadharness.Result) error {
		n, ok := seq[r.Scenario]
		if !ok {
			st.Scenarios = append(st.Scenarios, r.Scenario)
		}
		r.Seq = n
		seq[r.Scenario] = n + 1
		out.Add(r)
		st.Requests++
		return sinkErr(out)
	})
	if err != nil {
		return err
	}
	return out.Close()
}
