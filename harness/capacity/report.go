package capacity

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"loadharness/reports"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"loadharness"
)

// WriteJSON writes res as indented JSON.
func WriteJSON(w io.Writer, res Result) error {
	if err := reports.WriteJSON(w, res); err != nil {
		return fmt.Errorf("write capacity json: %w", err)
	}
	return nil
}

// capacityCSVHeader names the columns of WriteCSV.
var capacityCSVHeader = []string{"load", "unit", "phase", "verdict", "users", "asked_rps", "requests",
	"throughput_rps", "error_rate", "p50_ms", "p95_ms", "p99_ms", "sessions_lost", "aborted", "failed_gates", "seconds"}

// WriteCSV writes the curve, one row per step sorted by load (the
// order a spreadsheet charts), in a fixed set of columns.
func WriteCSV(w io.Writer, res Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(capacityCSVHeader); err != nil {
		return fmt.Errorf("write capacity csv: %w", err)
	}
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	for _, p := range sortedByLoad(res.Curve) {
		row := []string{f(p.Load), res.Unit, p.Phase, p.Verdict.String(), strconv.Itoa(p.Users), f(p.AskedRPS),
			strconv.Itoa(p.Requests), f(p.ThroughputRPS), f(p.ErrorRate), f(p.P50), f(p.P95), f(p.P99),
			strconv.Itoa(p.SessionsLost), p.Aborted, strings.Join(p.FailedGates, "; "), f(p.Seconds)}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("write capacity csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write capacity csv: %w", err)
	}
	return nil
}

// WriteTable writes the search for people: the answer with its
// confidence, the knee, and the curve sorted by load.
func WriteTable(w io.Writer, res Result) error {
	ew := &firstErrWriter{w: w}
	fmt.Fprintf(ew, "capacity of %s/%s on %d instance(s) × %d worker(s) × %d thread(s), by %s\n",
		res.Suite, res.Scenario, res.Shape.Instances, res.Shape.Workers, res.Shape.Threads, res.By)
	fmt.Fprintln(ew, capacityLine(res))
	if res.Knee != nil {
		fmt.Fprintf(ew, "knee: %s (p95 %s, against %s at %s): %s\n", formatLoad(res.Knee.Load, res.By),
			loadharness.KindLatency.Format(res.Knee.P95), loadharness.KindLatency.Format(res.Knee.BaselineP95),
			formatLoad(res.Knee.BaselineLoad, res.By), res.Knee.Rule)
	} else {
		fmt.Fprintf(ew, "knee: none in the loads tried (p95 never passed %g× its value at the lowest load)\n", KneeFactor)
	}
	fmt.Fprintf(ew, "gates judged at each step: %s\n", strings.Join(res.Gates, ", "))
	for _, u := range res.Unjudged {
		fmt.Fprintf(ew, "gate %s\n", u)
	}
	fmt.Fprintln(ew)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LOAD\tPHASE\tVERDICT\tP50\tP95\tP99\tTHROUGHPUT\tERRORS\tLOST\tNOTE")
	for _, p := range sortedByLoad(res.Curve) {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f%%\t%d\t%s\n", formatLoad(p.Load, res.By), p.Phase, p.Verdict,
			loadharness.KindLatency.Format(p.P50), loadharness.KindLatency.Format(p.P95), loadharness.KindLatency.Format(p.P99),
			loadharness.KindRate.Format(p.ThroughputRPS), 100*p.ErrorRate, p.SessionsLost, truncateNote(pointNote(p), 70))
	}
	_ = tw.Flush() // errors reach firstErrWriter
	for _, warning := range res.Warnings {
		fmt.Fprintf(ew, "WARNING: %s\n", warning)
	}
	fmt.Fprintf(ew, "search took %.0fs; %d CPU core(s) here, shared by the generator and every process of the stack\n", res.WallSeconds, res.CPUs)
	if ew.err != nil {
		return fmt.Errorf("write capacity table: %w", ew.err)
	}
	return nil
}

// capacityLine states the answer and how sure it is.
func capacityLine(res Result) string {
	if res.Capacity == 0 {
		return fmt.Sprintf("CAPACITY: none: the lowest load tried (%s) already fails the gates", formatLoad(lowestLoad(res.Curve), res.By))
	}
	bracket := "no load tried failed"
	if res.FirstFail > 0 {
		bracket = fmt.Sprintf("between %s (last pass) and %s (first fail)", formatLoad(res.LastPass, res.By), formatLoad(res.FirstFail, res.By))
	}
	confirm := "confirmed by a longer run"
	if !res.Confirmed {
		confirm = "NOT confirmed: the longer run failed, treat it as an upper estimate"
	}
	s := fmt.Sprintf("CAPACITY: %s, %s; %s", formatLoad(res.Capacity, res.By), bracket, confirm)
	switch res.LimitedBy {
	case LimitGenerator:
		s += "; a LOWER BOUND: the generator could not send more, the target was not the limit"
	case LimitMax:
		s += "; every load up to the search's maximum passed"
	case LimitSteps:
		s += "; the search ran out of steps before it found a failing load"
	}
	return s
}

// sortedByLoad returns the curve sorted by load, steps of equal load in the
// order they ran.
func sortedByLoad(curve []CurvePoint) []CurvePoint {
	out := slices.Clone(curve)
	slices.SortStableFunc(out, func(a, b CurvePoint) int {
		switch {
		case a.Load < b.Load:
			return -1
		case a.Load > b.Load:
			return 1
		}
		return 0
	})
	return out
}

func lowestLoad(curve []CurvePoint) float64 {
	if len(curve) == 0 {
		return 0
	}
	return sortedByLoad(curve)[0].Load
}

func truncateNote(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// firstErrWriter keeps the first write error so a table can be written without
// checking every line; later writes are skipped.
type firstErrWriter struct {
	w   io.Writer
	err error
}

// Write writes b unless an earlier write failed; it reports success either
// way, so the error waits in err for the one check at the end.
func (e *firstErrWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	if err != nil {
		e.err = err
	} else if n < len(b) {
		e.err = errors.New("short write")
	}
	return len(b), nil
}
