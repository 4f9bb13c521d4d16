package reports_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"loadharness"
	"loadharness/reports"
)

// FuzzReportText feeds arbitrary text (error messages, warnings, names come
// from the target and the suite) through every writer: none may fail, the
// JUnit must stay well-formed XML, and no text may open an HTML tag in the
// Markdown.
func FuzzReportText(f *testing.F) {
	for _, seed := range []string{
		"503 Service Unavailable", "<script>alert(1)</script>", "a|b", "`tick`", "line\nbreak",
		"\x00\xff invalid utf-8", "]]>", "&amp;", "p95 < 2s", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s := reports.Summary{
			Verdict:        loadharness.VerdictInvalid,
			Suite:          text,
			InvalidReasons: []string{text},
			Warnings:       []string{text},
			Events:         []loadharness.Event{{Kind: text, Target: text, Detail: text}},
			Gates:          []loadharness.GateResult{{Scenario: text, Gate: loadharness.MustParseGate("p95 < 2s"), Display: text, Unit: "ms"}},
			Scenarios: []reports.ScenarioSummary{{Name: text, Figures: reports.Figures{
				Requests: 1, Failed: 1, Errors: map[string]int{text: 1},
			}, Steps: []reports.StepSummary{{Name: text}}}},
		}
		in := reports.ReportInput{Summary: s, Charts: []reports.ChartImage{}}
		var md, page, junit bytes.Buffer
		if err := reports.WriteMarkdown(&md, in); err != nil {
			t.Fatalf("WriteMarkdown: %v", err)
		}
		if err := reports.WriteHTML(&page, in); err != nil {
			t.Fatalf("WriteHTML: %v", err)
		}
		if err := reports.WriteJUnit(&junit, s); err != nil {
			t.Fatalf("WriteJUnit: %v", err)
		}
		dec := xml.NewDecoder(&junit)
		for {
			_, err := dec.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("junit.xml is not well-formed: %v", err)
				}
				break
			}
		}
		if strings.Contains(text, "<script") && strings.Contains(outsideCode(md.String()), "<script") {
			t.Fatalf("Markdown lets %q open a tag", text)
		}
	})
}

// outsideCode drops Markdown code spans (a run of n backticks up to the
// next run of exactly n), where "<" is shown as it is.
func outsideCode(md string) string {
	var b strings.Builder
	for len(md) > 0 {
		i := strings.IndexByte(md, '`')
		if i < 0 {
			b.WriteString(md)
			break
		}
		b.WriteString(md[:i])
		n := len(md[i:]) - len(strings.TrimLeft(md[i:], "`"))
		rest := md[i+n:]
		end := -1
		for j := 0; j < len(rest); {
			k := strings.IndexByte(rest[j:], '`')
			if k < 0 {
				break
			}
			m := len(rest[j+k:]) - len(strings.TrimLeft(rest[j+k:], "`"))
			if m == n {
				end = j + k
				break
			}
			j += k + m
		}
		if end < 0 {
			b.WriteString(md[i:])
			break
		}
		md = rest[end+n:]
	}
	return b.String()
}
