package reports

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"loadharness"
)

// WriteVerdictTable writes the run's verdict for a terminal: one row per
// gate (scenario, gate, measured, threshold, margin, PASS/FAIL), one row per
// scenario (requests, throughput, p50/p95/p99, errors, sessions lost), the
// warnings, and the verdict line: "VERDICT: PASS", "VERDICT: FAIL (2 of 7
// gates failed)" or "VERDICT: INVALID: <reasons>".
func WriteVerdictTable(w io.Writer, s Summary) error {
	ew := &errWriter{w: w}
	writeGateRows(ew, s.Gates)
	fmt.Fprintln(ew)
	writeScenarioRows(ew, s.Scenarios)
	fmt.Fprintln(ew)
	for _, warning := range s.Warnings {
		fmt.Fprintf(ew, "WARNING: %s\n", warning)
	}
	fmt.Fprintln(ew, verdictLine(s))
	if ew.err != nil {
		return fmt.Errorf("write verdict table: %w", ew.err)
	}
	return nil
}

func writeGateRows(w io.Writer, gates []loadharness.GateResult) {
	if len(gates) == 0 {
		fmt.Fprintln(w, "no gates")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tGATE\tMEASURED\tTHRESHOLD\tMARGIN\tRESULT")
	for _, g := range gates {
		kind, op := gateKind(g)
		measured, threshold := kind.FormatPair(g.Measured, g.Threshold)
		margin := kind.Format(g.Margin)
		result := "PASS"
		switch {
		case g.Missing:
			measured, margin, result = "n/a", "-", "FAIL (not measured)"
		case !g.Pass:
			result = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n",
			scenarioLabel(g.Scenario), g.Gate, measured, strings.TrimSpace(op+" "+threshold), margin, result)
	}
	_ = tw.Flush() // errors reach errWriter
}

// gateKind is the kind and operator of a gate result's gate.
func gateKind(g loadharness.GateResult) (loadharness.MetricKind, string) {
	return g.Gate.Metric.Kind, g.Gate.Op.String()
}

func writeScenarioRows(w io.Writer, scenarios []ScenarioSummary) {
	if len(scenarios) == 0 {
		fmt.Fprintln(w, "no scenarios")
		return
	}
	latency := loadharness.KindLatency.Format
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tREQUESTS\tRPS\tP50\tP95\tP99\tERRORS\tSESSIONS LOST")
	row := func(name string, f Figures) {
		failed := f.Failed + f.Dropped
		errs := strconv.Itoa(failed)
		if due := f.Requests + f.Dropped; due > 0 {
			errs += " (" + loadharness.KindRatio.Format(float64(failed)/float64(due)) + ")"
		}
		if f.Dropped > 0 {
			errs += fmt.Sprintf(", %d dropped", f.Dropped)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%d of %d\n",
			name, f.Requests, strconv.FormatFloat(f.ThroughputRPS, 'f', 1, 64),
			latency(f.Latency.P50), latency(f.Latency.P95), latency(f.Latency.P99),
			errs, f.SessionsLost, f.SessionsChecked)
	}
	for _, sc := range scenarios {
		// Setup and warm-up get rows of their own, below the main phase
		// that the gates judge.
		row(sc.Name, sc.Figures)
		if sc.Setup != nil {
			row("  setup", *sc.Setup)
		}
		if sc.Warmup != nil {
			row("  warm-up", *sc.Warmup)
		}
	}
	_ = tw.Flush() // errors reach errWriter
}

func verdictLine(s Summary) string {
	switch s.Verdict {
	case loadharness.VerdictPass:
		return "VERDICT: PASS"
	case loadharness.VerdictFail:
		if len(s.Gates) == 0 {
			return "VERDICT: FAIL"
		}
		return fmt.Sprintf("VERDICT: FAIL (%d of %d gates failed)", loadharness.FailedGates(s.Gates), len(s.Gates))
	case loadharness.VerdictInvalid:
		if len(s.InvalidReasons) == 0 {
			return "VERDICT: INVALID"
		}
		return "VERDICT: INVALID: " + strings.Join(s.InvalidReasons, "; ")
	default:
		return "VERDICT: " + strings.ToUpper(s.Verdict.String())
	}
}

// scenarioLabel names a gate's scope; "" is the whole run.
func scenarioLabel(name string) string {
	if name == "" {
		return "(run)"
	}
	return name
}

// errWriter keeps the first write error so a table is written with plain
// Fprintf calls and checked once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}
