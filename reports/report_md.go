package reports

import (
	"fmt"
	"io"
	"strings"
)

// WriteMarkdown writes the sign-off report as Markdown: the verdict first,
// what makes the run invalid or less representative, the gates with their
// margins, the figures, the charts (in.Charts, each linked at its Path,
// where the caller writes its image), the failures, the events, the stack
// and the environment.
func WriteMarkdown(w io.Writer, in ReportInput) error {
	v := buildView(in)
	ew := &errWriter{w: w}
	p := func(format string, args ...any) { fmt.Fprintf(ew, format, args...) }

	p("# %s\n\n", mdText(v.Title))
	p("## Verdict: %s\n\n", v.Verdict)
	p("**%s**\n\n", mdText(v.Headline))
	for _, f := range v.Failed {
		p("- Failed: %s\n", mdText(f))
	}
	if len(v.Failed) > 0 {
		p("\n")
	}
	p("Run: %s.\n\n", mdText(v.Period))
	p("### What the verdict rests on\n\n")
	for _, e := range v.Evidence {
		p("- %s\n", mdText(e))
	}
	p("\n")
	writeMarkdownPairs(p, v.Service)
	writeMarkdownNotices(p, v)

	p("## Gates\n\n")
	if len(v.Gates) == 0 {
		p("No gates.\n\n")
	} else {
		p("| Scenario | Gate | Measured | Threshold | Margin | Result |\n|---|---|---:|---:|---:|---|\n")
		for _, g := range v.Gates {
			result := g.Result
			if !g.Pass {
				result = "**" + result + "**"
			}
			p("| %s | %s | %s | %s | %s | %s |\n", mdCell(g.Scenario), mdCode(g.Gate), g.Measured, mdCell(g.Threshold), g.Margin, result)
		}
		p("\n")
	}

	p("## Figures\n\n")
	if len(v.Scenarios) == 0 {
		p("No scenario recorded a request.\n\n")
	} else {
		p("Latencies are corrected for coordinated omission (measured from when each request was meant to be sent).\n\n")
		p("| Scenario | Requests | Asked | Achieved | p50 | p95 | p99 | Max | Errors | Sessions |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n")
		for _, s := range v.Scenarios {
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				mdCell(s.Name), s.Requests, s.Asked, s.Achieved, s.P50, s.P95, s.P99, s.Max, s.Errors, s.Sessions)
		}
		p("\n")
	}
	if len(v.Steps) > 0 {
		p("### By step\n\n| Scenario | Step | Requests | p50 | p95 | p99 | Max | Errors | Received | Sent |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, s := range v.Steps {
			p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", mdCell(s.Scenario), mdCell(s.Step), s.Requests, s.P50, s.P95, s.P99, s.Max, s.Errors, s.BytesIn, s.BytesOut)
		}
		p("\n")
	}
	if len(v.Statuses) > 0 {
		p("### Status codes and errors by step\n\n| Scenario | Step | Status codes | Errors |\n|---|---|---|---|\n")
		for _, s := range v.Statuses {
			p("| %s | %s | %s | %s |\n", mdCell(s.Scenario), mdCell(s.Step), mdCounts(s.Codes), mdCounts(s.Errors))
		}
		p("\n")
	}
	if b := v.Baseline; b != nil {
		p("## Against the baseline\n\nBaseline: %s\n\n**%s**\n\n", mdCode(b.Baseline), mdText(b.Result))
		for _, n := range b.Notes {
			p("- Note: %s\n", mdText(n))
		}
		if len(b.Metrics) > 0 {
			p("| Scenario | Metric | Baseline | This run | Change | Interval | Verdict |\n|---|---|---:|---:|---:|---:|---|\n")
			for _, m := range b.Metrics {
				verdict := mdCell(m.Verdict)
				if m.Regression {
					verdict = "**" + verdict + "**"
				}
				p("| %s | %s | %s | %s | %s | %s | %s |\n", mdCell(m.Scenario), m.Metric, m.Baseline, m.Current, m.Change, mdCell(m.Interval), verdict)
			}
			p("\n")
		}
		if len(b.Gates) > 0 {
			p("| Scenario | Gate | Baseline | This run | Status |\n|---|---|---|---|---|\n")
			for _, g := range b.Gates {
				p("| %s | %s | %s | %s | %s |\n", mdCell(g.Scenario), mdCode(g.Gate), mdCell(g.Baseline), mdCell(g.Current), mdCell(g.Status))
			}
			p("\n")
		}
		p("%s\n\n", mdText(b.Method))
	}

	p("## Charts\n\n")
	if v.ChartNote != "" {
		p("%s\n\n", mdText(v.ChartNote))
	}
	for _, ch := range v.Charts {
		p("### %s\n\n![%s](%s)\n\n%s\n\n", mdText(ch.Title), mdText(ch.Title), ch.Path, mdText(ch.Caption))
	}

	if len(v.Failures) > 0 {
		p("## Failures by message\n\n| Scenario | Message | Count |\n|---|---|---:|\n")
		for _, f := range v.Failures {
			p("| %s | %s | %s |\n", mdCell(f.Scenario), mdCode(f.Message), f.Count)
		}
		p("\n")
	}

	p("## Events\n\n")
	if len(v.Events) == 0 {
		p("None: the harness acted on nothing during the run.\n\n")
	} else {
		p("| At (UTC) | Since first request | Event | Target | Detail |\n|---|---:|---|---|---|\n")
		for _, e := range v.Events {
			p("| %s | %s | %s | %s | %s |\n", e.At, orDash(e.Since), mdCell(e.Kind), mdCell(orDash(e.Target)), mdCell(orDash(e.Detail)))
		}
		p("\n")
	}

	p("## Stack\n\n")
	writeMarkdownPairs(p, v.Stack)
	p("## Environment\n\n")
	writeMarkdownPairs(p, v.Environment)
	if ew.err != nil {
		return fmt.Errorf("write markdown report: %w", ew.err)
	}
	return nil
}

func writeMarkdownNotices(p func(string, ...any), v reportView) {
	if len(v.Invalid) > 0 {
		p("### Why the run proves nothing\n\n")
		for _, r := range v.Invalid {
			p("- %s\n", mdText(r))
		}
		p("\n")
	}
	if len(v.Warnings)+len(v.Notes) > 0 {
		p("### Read before trusting the figures\n\n")
		for _, w := range v.Warnings {
			p("- **Warning:** %s\n", mdText(w))
		}
		for _, n := range v.Notes {
			p("- %s\n", mdText(n))
		}
		p("\n")
	}
}

func writeMarkdownPairs(p func(string, ...any), rows []keyValue) {
	p("| | |\n|---|---|\n")
	for _, kv := range rows {
		p("| %s | %s |\n", mdCell(kv.Key), mdCell(kv.Value))
	}
	p("\n")
}

// mdText makes free text safe in Markdown prose: no line breaks, and no
// "<" that a renderer would take for the start of an HTML tag ("p95 < 2s"
// stays as it is, "<script>" does not).
func mdText(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	if !strings.Contains(s, "<") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '<' && i+1 < len(s) && startsTag(s[i+1]) {
			b.WriteString("&lt;")
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func startsTag(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '!' || c == '?'
}

// mdCell is mdText that also keeps a table cell from splitting.
func mdCell(s string) string { return strings.ReplaceAll(mdText(s), "|", `\|`) }

// mdCode writes s as inline code, which shows "<" and "*" as they are; a
// backtick inside is doubled around.
func mdCode(s string) string {
	s = strings.NewReplacer("\r", " ", "\n", " ", "|", `\|`).Replace(s)
	if strings.Contains(s, "`") {
		return "`` " + s + " ``"
	}
	return "`" + s + "`"
}

// mdCounts writes counted texts in one table cell: "`200` × 1200, `503` × 4".
func mdCounts(rows []countText) string {
	if len(rows) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(rows))
	for _, r := range rows {
		part := mdCode(r.Text)
		if r.Count != "" {
			part += " × " + r.Count
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, ", ")
}
