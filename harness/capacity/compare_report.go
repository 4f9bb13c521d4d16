package capacity

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteComparison writes the before/after page for people.
func WriteComparison(w io.Writer, c ShapeComparison) error {
	ew := &firstErrWriter{w: w}
	for _, side := range []struct {
		label string
		s     ShapeSide
	}{{"BEFORE", c.Before}, {"AFTER", c.After}} {
		sh := side.s.Shape
		fmt.Fprintf(ew, "%-6s %s: %d instance(s) × %d worker(s) × %d thread(s), sessions in %s, data sets in %s: %s\n",
			side.label, side.s.Suite, sh.Instances, sh.Workers, sh.Threads, sh.SessionStore, sh.DatasetStore,
			strings.ToUpper(side.s.Verdict.String()))
	}
	fmt.Fprintln(ew)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SCENARIO\tCRITERION\tBEFORE\tAFTER")
	mark := func(display string, pass bool) string {
		switch {
		case display == "":
			return "-"
		case pass:
			return "PASS " + display
		}
		return "FAIL " + display
	}
	for _, cr := range c.Criteria {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cr.Scenario, cr.Gate, mark(cr.Before, cr.BeforePass), mark(cr.After, cr.AfterPass))
	}
	if c.Before.Capacity != nil || c.After.Capacity != nil {
		fmt.Fprintf(tw, "%s\tcapacity\t%s\t%s\n", capacityScenario(c), capacityCell(c.Before.Capacity), capacityCell(c.After.Capacity))
	}
	_ = tw.Flush() // errors reach firstErrWriter
	fmt.Fprintln(ew, "\nconcrete failures of the shape before:")
	for _, f := range c.Failures {
		fmt.Fprintf(ew, "  - %s\n", f)
	}
	fmt.Fprintf(ew, "comparison took %.0fs\n", c.WallSeconds)
	if ew.err != nil {
		return fmt.Errorf("write comparison: %w", ew.err)
	}
	return nil
}

func capacityScenario(c ShapeComparison) string {
	for _, r := range []*Result{c.Before.Capacity, c.After.Capacity} {
		if r != nil {
			return r.Scenario
		}
	}
	return ""
}

// capacityCell is a capacity in a few words.
func capacityCell(r *Result) string {
	if r == nil {
		return "-"
	}
	if r.Capacity == 0 {
		why := ""
		if pts := sortedByLoad(r.Curve); len(pts) > 0 && len(pts[0].FailedGates) > 0 {
			why = ": " + pts[0].FailedGates[0]
		}
		return fmt.Sprintf("none at %s and above%s", formatLoad(lowestLoad(r.Curve), r.By), why)
	}
	s := formatLoad(r.Capacity, r.By)
	if r.Confirmed {
		s += " (confirmed)"
	} else {
		s += " (unconfirmed)"
	}
	if r.LimitedBy == LimitGenerator {
		s += ", a lower bound"
	}
	return s
}
