package reports

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"loadharness"
)

// CompareFormat is an output format of WriteComparison.
type CompareFormat string

// The formats WriteComparison writes.
const (
	CompareText     CompareFormat = "text"
	CompareMarkdown CompareFormat = "markdown"
	CompareJSON     CompareFormat = "json"
)

// ParseCompareFormat reads a format name: "text", "markdown" (or "md") or
// "json".
func ParseCompareFormat(s string) (CompareFormat, error) {
	switch s {
	case "text", "":
		return CompareText, nil
	case "markdown", "md":
		return CompareMarkdown, nil
	case "json":
		return CompareJSON, nil
	default:
		return "", fmt.Errorf("unknown comparison format %q (want text, markdown or json)", s)
	}
}

// WriteComparison writes c in format: a terminal table, Markdown for a pull
// request or wiki, or indented JSON for CI. Every format states the method
// and ends with the result: how many regressions, which.
func WriteComparison(w io.Writer, c Comparison, format CompareFormat) error {
	var buf bytes.Buffer
	switch format {
	case CompareJSON:
		if err := WriteJSON(&buf, c); err != nil {
			return fmt.Errorf("write comparison: %w", err)
		}
	case CompareMarkdown:
		writeComparisonMarkdown(&buf, c)
	case CompareText:
		writeComparisonText(&buf, c)
	default:
		return fmt.Errorf("write comparison: unknown format %q", format)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("write comparison: %w", err)
	}
	return nil
}

func writeComparisonText(w io.Writer, c Comparison) {
	fmt.Fprintf(w, "COMPARISON: %s (baseline) -> %s\n\n", c.Baseline, c.Current)
	for _, n := range c.Notes {
		fmt.Fprintf(w, "NOTE: %s\n", n)
	}
	if len(c.Notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, sc := range c.Scenarios {
		fmt.Fprintf(w, "SCENARIO %s", sc.Name)
		if sc.Note != "" {
			fmt.Fprintf(w, " (%s)", sc.Note)
		}
		fmt.Fprintln(w)
		if len(sc.Metrics) > 0 {
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "  METRIC\tBASELINE\tCURRENT\tCHANGE\tINTERVAL\tVERDICT")
			for _, m := range sc.Metrics {
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", m.Metric, metricValue(m, m.Baseline), metricValue(m, m.Current),
					changeText(m, m.Change), intervalText(m), verdictText(m))
			}
			_ = tw.Flush()
		}
		if len(sc.Gates) > 0 {
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "  GATE\tBASELINE\tCURRENT\tSTATUS")
			for _, g := range sc.Gates {
				fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", g.Gate, gateOutcome(g.Baseline), gateOutcome(g.Current), gateStatusText(g))
			}
			_ = tw.Flush()
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "METHOD: %s\n\n", c.Method)
	fmt.Fprintln(w, comparisonResult(c))
}

func writeComparisonMarkdown(w io.Writer, c Comparison) {
	fmt.Fprintf(w, "# Comparison: %s against %s\n\n", mdText(c.Current), mdText(c.Baseline))
	fmt.Fprintf(w, "**%s**\n\n", mdText(comparisonResult(c)))
	for _, n := range c.Notes {
		fmt.Fprintf(w, "- Note: %s\n", mdText(n))
	}
	if len(c.Notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, sc := range c.Scenarios {
		fmt.Fprintf(w, "## %s\n\n", mdText(sc.Name))
		if sc.Note != "" {
			fmt.Fprintf(w, "%s.\n\n", mdText(sc.Note))
		}
		if len(sc.Metrics) > 0 {
			fmt.Fprintf(w, "| Metric | Baseline | Current | Change | Interval | Verdict |\n|---|---:|---:|---:|---:|---|\n")
			for _, m := range sc.Metrics {
				verdict := mdCell(verdictText(m))
				if m.Regression {
					verdict = "**" + verdict + "**"
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", m.Metric, metricValue(m, m.Baseline), metricValue(m, m.Current),
					changeText(m, m.Change), mdCell(intervalText(m)), verdict)
			}
			fmt.Fprintln(w)
		}
		if len(sc.Gates) > 0 {
			fmt.Fprintf(w, "| Gate | Baseline | Current | Status |\n|---|---|---|---|\n")
			for _, g := range sc.Gates {
				status := mdCell(gateStatusText(g))
				if g.Regression {
					status = "**" + status + "**"
				}
				fmt.Fprintf(w, "| %s | %s | %s | %s |\n", mdCode(g.Gate.String()), mdCell(gateOutcome(g.Baseline)), mdCell(gateOutcome(g.Current)), status)
			}
			fmt.Fprintln(w)
		}
	}
	fmt.Fprintf(w, "### Method\n\n%s\n", mdText(c.Method))
}

// comparisonResult is the last line: the regressions, or that there are
// none beyond the noise.
func comparisonResult(c Comparison) string {
	if c.Regressions == 0 {
		return "RESULT: no regression beyond the noise"
	}
	var which []string
	for _, sc := range c.Scenarios {
		for _, m := range sc.Metrics {
			if m.Regression {
				which = append(which, sc.Name+" "+m.Metric)
			}
		}
		for _, g := range sc.Gates {
			if g.Regression {
				which = append(which, sc.Name+" gate "+g.Gate.String())
			}
		}
	}
	return fmt.Sprintf("RESULT: %d regression(s): %s", c.Regressions, strings.Join(which, "; "))
}

func metricValue(m MetricChange, v float64) string {
	switch m.Unit {
	case "ms":
		return loadharness.KindLatency.Format(v)
	case "/s":
		return loadharness.KindRate.Format(v)
	default:
		return loadharness.KindRatio.Format(v)
	}
}

// changeText writes a change: "+30.1%" for relative changes, "+0.52 pp"
// (percentage points) for the error rate.
func changeText(m MetricChange, v float64) string {
	if m.Relative {
		if m.Baseline <= 0 {
			return "n/a"
		}
		return signed(100*v) + "%"
	}
	return signed(100*v) + " pp"
}

func signed(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	if s == "-0.0" {
		s = "0.0"
	}
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

func intervalText(m MetricChange) string {
	if !m.Tested {
		return "-"
	}
	return changeText(m, m.Low) + " .. " + changeText(m, m.High)
}

func verdictText(m MetricChange) string {
	v := m.Verdict
	if m.Regression {
		v = "REGRESSION"
	}
	if m.Note != "" {
		v += " (" + m.Note + ")"
	}
	return v
}

func gateOutcome(g *loadharness.GateResult) string {
	if g == nil {
		return "-"
	}
	kind, _ := gateKind(*g)
	switch {
	case g.Missing:
		return "n/a FAIL"
	case g.Pass:
		return kind.Format(g.Measured) + " PASS"
	default:
		return kind.Format(g.Measured) + " FAIL"
	}
}

func gateStatusText(g GateChange) string {
	s := g.Status
	if g.Regression {
		s = "REGRESSION: " + s
	}
	if g.Note != "" {
		s += " (" + g.Note + ")"
	}
	return s
}
