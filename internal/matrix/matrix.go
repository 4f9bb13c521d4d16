// Package matrix is the verdict-truth matrix: stack shapes whose verdict
// is known before they run, each run through the same path as `loadtest
// run`, to prove that the gates fire when they should and only then. Only
// tests (`make verify`) use it.
package matrix

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"loadharness"
	"loadharness/harness"
	"loadharness/harness/rundir"
	"loadharness/harness/stack"
	"loadharness/scenarios/suite"
)

// Case is a stack shape whose verdict is known before it runs: a
// known-bad shape must fail the gate that names its fault, the healthy
// shape must pass every time. Together they prove that the gates fire when
// they should and only then.
type Case struct {
	Name string
	// Suite is the suite file that builds the shape and its load.
	Suite string
	// Want is the verdict every run must reach.
	Want loadharness.Verdict
	// Gate, for a Want of fail, is the gate that must be among the failed
	// ones; the zero Gate names none.
	Gate loadharness.Gate
	// Runs is how many times the case runs (0 means 1); every run must
	// match, so the healthy shape is asked to pass 5 out of 5.
	Runs int
	// Pending says why the harness is known not to reach Want yet. The row
	// then reads KNOWN GAP rather than MISMATCH, and FIXED once it does
	// match, so that the note is removed.
	Pending string
}

// Statuses of a matrix row.
const (
	OK       = "OK"
	Mismatch = "MISMATCH"
	KnownGap = "KNOWN GAP"
	Fixed    = "FIXED (remove Pending)"
)

// Row is one case's outcome.
type Row struct {
	Case     string `json:"case"`
	Expected string `json:"expected"`
	// Actual is the verdict of each run, "pass ×5" when they agree.
	Actual string `json:"actual"`
	// FailingGates are the gates that failed, over every run, in order.
	FailingGates []string `json:"failing_gates"`
	// Invalid are the reasons a run was invalid.
	Invalid []string `json:"invalid,omitempty"`
	Status  string   `json:"status"`
	Pending string   `json:"pending,omitempty"`
	Seconds float64  `json:"seconds"`
}

// Good reports whether the row is not a mismatch: OK, or a known gap.
func (r Row) Good() bool { return r.Status == OK || r.Status == KnownGap }

// Config says how the matrix runs its cases.
type Config struct {
	// Provider returns the provider of one run, given an existing
	// directory of its own for the stack's files.
	Provider func(dir string) stack.Provider
	// OutDir receives each run's summary and logs, under CASE/run-N.
	OutDir string
	// Logf reports what the harness does; nil is silent.
	Logf func(format string, args ...any)
}

// Run runs every case (each run through Run, the path `loadtest run`
// takes) and says whether it reached its expected verdict. It returns an
// error only when a case could not run at all; a wrong verdict is a row.
func Run(ctx context.Context, cases []Case, cfg Config) ([]Row, error) {
	var rows []Row
	for _, c := range cases {
		row, err := runCase(ctx, c, cfg)
		rows = append(rows, row)
		if err != nil {
			return rows, fmt.Errorf("matrix case %s: %w", c.Name, err)
		}
	}
	return rows, nil
}

// runCase runs one case Runs times.
func runCase(ctx context.Context, c Case, cfg Config) (row Row, err error) {
	row = Row{Case: c.Name, Expected: expectedText(c), Pending: c.Pending}
	started := time.Now()
	defer func() { row.Seconds = time.Since(started).Seconds() }()
	wantGate := ""
	if c.Gate != (loadharness.Gate{}) {
		wantGate = c.Gate.String()
	}
	s, err := suite.Load(c.Suite)
	if err != nil {
		return row, err
	}
	runs := max(c.Runs, 1)
	var verdicts []string
	matched := true
	for i := 1; i <= runs; i++ {
		dir := filepath.Join(cfg.OutDir, c.Name, fmt.Sprintf("run-%d", i))
		stackDir := filepath.Join(dir, rundir.StackDir)
		if err := os.MkdirAll(stackDir, 0o755); err != nil {
			return row, fmt.Errorf("stack directory: %w", err)
		}
		res, err := harness.RunOn(ctx, cfg.Provider(stackDir), s, false, harness.WithLogf(cfg.Logf))
		if err == nil {
			err = rundir.WriteRun(dir, res.ReportInput())
		}
		if err != nil {
			row.Actual, row.Status = "error", Mismatch
			return row, err
		}
		summary := res.Summary
		verdicts = append(verdicts, summary.Verdict.String())
		row.Invalid = append(row.Invalid, summary.InvalidReasons...)
		var failed []string
		for _, g := range summary.Gates {
			if !g.Pass && !slices.Contains(row.FailingGates, g.Gate.String()) {
				row.FailingGates = append(row.FailingGates, g.Gate.String())
			}
			if !g.Pass {
				failed = append(failed, g.Gate.String())
			}
		}
		ok := summary.Verdict == c.Want
		if c.Want == loadharness.VerdictFail && wantGate != "" {
			ok = ok && slices.Contains(failed, wantGate)
		}
		matched = matched && ok
	}
	row.Actual = actualText(verdicts)
	switch {
	case matched && c.Pending == "":
		row.Status = OK
	case matched:
		row.Status = Fixed
	case c.Pending != "":
		row.Status = KnownGap
	default:
		row.Status = Mismatch
	}
	return row, nil
}

// expectedText is "fail: sessions_lost == 0", "pass ×5" or "invalid".
func expectedText(c Case) string {
	s := c.Want.String()
	if c.Gate != (loadharness.Gate{}) {
		s += ": " + c.Gate.String()
	}
	if c.Runs > 1 {
		s += fmt.Sprintf(" ×%d", c.Runs)
	}
	return s
}

// actualText is the runs' verdict, "pass ×5" when they agree, else each.
func actualText(verdicts []string) string {
	if len(verdicts) == 0 {
		return "-"
	}
	for _, v := range verdicts[1:] {
		if v != verdicts[0] {
			return strings.Join(verdicts, ",")
		}
	}
	if len(verdicts) == 1 {
		return verdicts[0]
	}
	return fmt.Sprintf("%s ×%d", verdicts[0], len(verdicts))
}

// WriteTable writes one row per case: CASE, EXPECTED, ACTUAL,
// FAILING GATES, RESULT, then a line per known gap and the count of
// mismatches.
func WriteTable(w io.Writer, rows []Row) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CASE\tEXPECTED\tACTUAL\tFAILING GATES\tRESULT\tTIME")
	bad := 0
	for _, r := range rows {
		gates := strings.Join(r.FailingGates, "; ")
		if gates == "" {
			gates = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.1fs\n", r.Case, r.Expected, r.Actual, gates, r.Status, r.Seconds)
		if !r.Good() {
			bad++
		}
	}
	var errs []error
	errs = append(errs, tw.Flush())
	for _, r := range rows {
		if r.Pending != "" {
			_, err := fmt.Fprintf(w, "%s: %s: %s\n", r.Status, r.Case, r.Pending)
			errs = append(errs, err)
		}
		for _, reason := range r.Invalid {
			_, err := fmt.Fprintf(w, "invalid %s: %s\n", r.Case, reason)
			errs = append(errs, err)
		}
	}
	_, err := fmt.Fprintf(w, "%d case(s), %d mismatch(es)\n", len(rows), bad)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("write matrix: %w", err)
	}
	return nil
}
