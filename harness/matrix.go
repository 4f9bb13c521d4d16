package harness

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
	"loadharness/scenarios"
)

// MatrixCase is a stack shape whose verdict is known before it runs: a
// known-bad shape must fail the gate that names its fault, the healthy
// shape must pass every time. Together they prove that the gates fire when
// they should and only then.
type MatrixCase struct {
	Name string
	// Suite is the suite file that builds the shape and its load.
	Suite string
	// Want is the verdict every run must reach.
	Want loadharness.Verdict
	// Gate, for a Want of fail, is the gate that must be among the failed
	// ones (as written in the suite; compared in canonical form).
	Gate string
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
	MatrixOK       = "OK"
	MatrixMismatch = "MISMATCH"
	MatrixKnownGap = "KNOWN GAP"
	MatrixFixed    = "FIXED (remove Pending)"
)

// MatrixRow is one case's outcome.
type MatrixRow struct {
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
func (r MatrixRow) Good() bool { return r.Status == MatrixOK || r.Status == MatrixKnownGap }

// MatrixConfig says how the matrix runs its cases.
type MatrixConfig struct {
	// Provider returns the provider of one run, given an existing
	// directory of its own for the stack's files.
	Provider func(dir string) Provider
	// OutDir receives each run's summary and logs, under CASE/run-N.
	OutDir string
	// Logf reports what the harness does; nil is silent.
	Logf func(format string, args ...any)
}

// RunMatrix runs every case (each run through Run, the path `loadtest run`
// takes) and says whether it reached its expected verdict. It returns an
// error only when a case could not run at all; a wrong verdict is a row.
func RunMatrix(ctx context.Context, cases []MatrixCase, cfg MatrixConfig) ([]MatrixRow, error) {
	var rows []MatrixRow
	for _, c := range cases {
		row, err := runMatrixCase(ctx, c, cfg)
		rows = append(rows, row)
		if err != nil {
			return rows, fmt.Errorf("matrix case %s: %w", c.Name, err)
		}
	}
	return rows, nil
}

// runMatrixCase runs one case Runs times.
func runMatrixCase(ctx context.Context, c MatrixCase, cfg MatrixConfig) (row MatrixRow, err error) {
	row = MatrixRow{Case: c.Name, Expected: expectedText(c), Pending: c.Pending}
	started := time.Now()
	defer func() { row.Seconds = time.Since(started).Seconds() }()
	wantGate := ""
	if c.Gate != "" {
		g, err := loadharness.ParseGate(c.Gate)
		if err != nil {
			return row, fmt.Errorf("expected gate %q: %w", c.Gate, err)
		}
		wantGate = g.String()
	}
	suite, err := scenarios.Load(c.Suite)
	if err != nil {
		return row, err
	}
	runs := max(c.Runs, 1)
	var verdicts []string
	matched := true
	for i := 1; i <= runs; i++ {
		dir := filepath.Join(cfg.OutDir, c.Name, fmt.Sprintf("run-%d", i))
		stackDir := filepath.Join(dir, "stack")
		if err := os.MkdirAll(stackDir, 0o755); err != nil {
			return row, fmt.Errorf("stack directory: %w", err)
		}
		summary, err := Run(ctx, Config{Suite: suite, Provider: cfg.Provider(stackDir), OutDir: dir, Logf: cfg.Logf})
		if err != nil {
			row.Actual, row.Status = "error", MatrixMismatch
			return row, err
		}
		verdicts = append(verdicts, summary.Verdict.String())
		row.Invalid = append(row.Invalid, summary.InvalidReasons...)
		var failed []string
		for _, g := range summary.Gates {
			if !g.Pass && !slices.Contains(row.FailingGates, g.Gate) {
				row.FailingGates = append(row.FailingGates, g.Gate)
			}
			if !g.Pass {
				failed = append(failed, g.Gate)
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
		row.Status = MatrixOK
	case matched:
		row.Status = MatrixFixed
	case c.Pending != "":
		row.Status = MatrixKnownGap
	default:
		row.Status = MatrixMismatch
	}
	return row, nil
}

// expectedText is "fail: sessions_lost == 0", "pass ×5" or "invalid".
func expectedText(c MatrixCase) string {
	s := c.Want.String()
	if c.Gate != "" {
		s += ": " + c.Gate
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

// WriteMatrixTable writes one row per case: CASE, EXPECTED, ACTUAL,
// FAILING GATES, RESULT, then a line per known gap and the count of
// mismatches.
func WriteMatrixTable(w io.Writer, rows []MatrixRow) error {
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
