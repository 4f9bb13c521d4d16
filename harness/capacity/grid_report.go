package capacity

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
)

// WriteGridCSV writes one row per shape: measured capacity and the formula.
func WriteGridCSV(w io.Writer, g GridResult) error {
	cw := csv.NewWriter(w)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	rows := [][]string{{"instances", "workers", "unit", "capacity", "confirmed", "last_pass", "first_fail", "limited_by", "formula", "ratio", "holds"}}
	for _, s := range g.Shapes {
		rows = append(rows, []string{strconv.Itoa(s.Instances), strconv.Itoa(s.Workers), g.Unit, f(s.Capacity),
			strconv.FormatBool(s.Confirmed), f(s.LastPass), f(s.FirstFail), s.LimitedBy, f(s.Formula), f(s.Ratio), strconv.FormatBool(s.Holds)})
	}
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("write capacity plan csv: %w", err)
	}
	return nil
}

// WriteGridTable writes the capacity plan for people: measured capacity per
// shape next to the seed's formula, where it stops holding, the findings
// and the fleet with its monthly cost.
func WriteGridTable(w io.Writer, g GridResult) error {
	ew := &firstErrWriter{w: w}
	fmt.Fprintf(ew, "capacity plan of %s/%s, by %s\n", g.Suite, g.Scenario, g.By)
	if g.PerWorker > 0 {
		fmt.Fprintf(ew, "per-worker capacity: %s, measured on %s (the seed assumed 10-15 concurrent requests per worker)\n",
			formatLoad(g.PerWorker, g.By), g.PerWorkerFrom)
	}
	fmt.Fprintln(ew)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "INSTANCES\tWORKERS\tMEASURED\tFORMULA\tMEASURED/FORMULA\tHOLDS\tCONFIRMED\tBRACKET\tSEARCH")
	for _, s := range g.Shapes {
		holds := "no"
		if s.Holds {
			holds = "yes"
		}
		bracket := "-"
		if s.FirstFail > 0 {
			bracket = fmt.Sprintf("[%s, %s]", formatLoad(s.LastPass, g.By), formatLoad(s.FirstFail, g.By))
		} else if s.LimitedBy != "" {
			bracket = "limited by " + s.LimitedBy
		}
		confirmed := "no"
		if s.Confirmed {
			confirmed = "yes"
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%.0f%%\t%s\t%s\t%s\t%.0fs\n", s.Instances, s.Workers,
			formatLoad(s.Capacity, g.By), formatLoad(s.Formula, g.By), 100*s.Ratio, holds, confirmed, bracket, s.WallSeconds)
	}
	_ = tw.Flush() // errors reach firstErrWriter
	fmt.Fprintln(ew)
	for _, f := range g.Findings {
		fmt.Fprintf(ew, "FINDING: %s\n", f)
	}
	if p := g.Plan; p != nil {
		fmt.Fprintf(ew, "\nfleet (instance %s/month, Redis %s/month):\n", money(p.Cost.InstanceMonthly), money(p.Cost.RedisMonthly))
		for _, f := range []struct {
			name  string
			fleet Fleet
		}{{"normal", p.Normal}, {"peak", p.Peak}} {
			fmt.Fprintf(ew, "  %-6s %s: %s\n", f.name, formatLoad(f.fleet.Load, g.By), fleetText(f.fleet, g.By))
		}
		fmt.Fprintf(ew, "  (an instance measured here shares this machine's %d core(s) with the generator, Redis and the balancer; "+
			"one on its own machine of that size holds at least as much)\n", g.CPUs)
	}
	fmt.Fprintf(ew, "plan took %.0fs\n", g.WallSeconds)
	if ew.err != nil {
		return fmt.Errorf("write capacity plan: %w", ew.err)
	}
	return nil
}

// fleetText says how many instances hold a load and what they cost.
func fleetText(f Fleet, by LoadAxis) string {
	if f.Basis == "" {
		return f.Note
	}
	s := fmt.Sprintf("%d instance(s) × %d worker(s) holding %s (%s), %s/month", f.Instances, f.Workers,
		formatLoad(f.Capacity, by), f.Basis, money(f.Monthly))
	if f.Note != "" {
		s += "; " + f.Note
	}
	return s
}

func money(v float64) string { return "$" + strconv.FormatFloat(v, 'f', 2, 64) }
