package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"loadharness"
)

// junitSuites is the document root CI systems read (Jenkins, GitLab,
// GitHub's test reporters all accept this shape).
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitProblem `xml:"failure,omitempty"`
	Error     *junitProblem `xml:"error,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// runSuiteName names the test suite of the gates judged on the whole run.
const runSuiteName = "(run)"

// WriteJUnit writes s as JUnit XML for CI: one test suite per scenario (and
// "(run)" for gates on the whole run), one test case per gate, named by the
// gate's text. A suite's time is its scenario's measured window (the main
// phase's, first request sent to last ended; "(run)" spans every
// scenario's), a case's the window of the results its gate judged (its
// step's or phase's when it names one), so CI shows how long each measured. A failed gate is a <failure> whose message gives measured
// against threshold; a gate that could not be measured is a failure too.
// An invalid run turns every test case into an <error> carrying the
// reasons, since its gates prove nothing. A summary without gates gets one
// "verdict" case, so CI never reads an empty report as success.
func WriteJUnit(w io.Writer, s Summary) error {
	doc := junitSuites{Name: "loadtest " + s.Suite, Time: "0"}
	if !s.Started.IsZero() && s.Finished.After(s.Started) {
		doc.Time = seconds(s.Finished.Sub(s.Started).Seconds())
	}
	invalid := s.Verdict == loadharness.VerdictInvalid
	invalidText := "invalid run: " + strings.Join(s.InvalidReasons, "; ")
	if len(s.InvalidReasons) == 0 {
		invalidText = "invalid run: the generator could not hold the load"
	}
	index := map[string]int{}
	suiteOf := func(scenario string) *junitSuite {
		name := scenario
		if name == "" {
			name = runSuiteName
		}
		i, ok := index[name]
		if !ok {
			i = len(doc.Suites)
			index[name] = i
			doc.Suites = append(doc.Suites, junitSuite{Name: name, Time: seconds(scopeWindow(s, loadharness.Scope{Scenario: scenario}).Seconds()),
				Timestamp: timestamp(s), Properties: junitProperties(s)})
		}
		return &doc.Suites[i]
	}
	for _, g := range s.Gates {
		suite := suiteOf(g.Scenario)
		scope := loadharness.Scope{Scenario: g.Scenario, Step: g.Gate.Step, Phase: g.Gate.Phase}
		tc := junitCase{Name: g.Gate.String(), Classname: classname(s.Suite, suite.Name),
			Time: seconds(scopeWindow(s, scope).Seconds()), SystemOut: g.Display}
		switch {
		case invalid:
			tc.Error = &junitProblem{Message: invalidText, Type: "invalid", Text: g.Display}
		case g.Missing:
			tc.Failure = &junitProblem{Message: "not measured: " + g.Display, Type: "gate", Text: g.Display}
		case !g.Pass:
			tc.Failure = &junitProblem{Message: gateFailureMessage(g), Type: "gate", Text: g.Display}
		}
		suite.add(tc)
	}
	if len(s.Gates) == 0 {
		suite := suiteOf("")
		tc := junitCase{Name: "verdict", Classname: classname(s.Suite, suite.Name), Time: suite.Time}
		switch s.Verdict {
		case loadharness.VerdictInvalid:
			tc.Error = &junitProblem{Message: invalidText, Type: "invalid"}
		case loadharness.VerdictFail:
			tc.Failure = &junitProblem{Message: "the run failed", Type: "verdict"}
		default:
			tc.SystemOut = "no gate was judged"
		}
		suite.add(tc)
	}
	for _, suite := range doc.Suites {
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Errors += suite.Errors
	}
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	buf.WriteByte('\n')
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("write junit: %w", err)
	}
	return nil
}

func (s *junitSuite) add(tc junitCase) {
	s.Cases = append(s.Cases, tc)
	s.Tests++
	if tc.Failure != nil {
		s.Failures++
	}
	if tc.Error != nil {
		s.Errors++
	}
}

// gateFailureMessage is the one line a CI system shows for a failed gate:
// "measured 2.5s, threshold < 2s (missed by 501ms)".
func gateFailureMessage(g loadharness.GateResult) string {
	kind, op := gateKind(g)
	measured, threshold := kind.FormatPair(g.Measured, g.Threshold)
	msg := "measured " + measured + ", threshold " + strings.TrimSpace(op+" "+threshold)
	if g.Margin != 0 {
		msg += " (missed by " + kind.Format(-g.Margin) + ")"
	}
	return msg
}

func junitProperties(s Summary) []junitProperty {
	props := []junitProperty{{Name: "verdict", Value: s.Verdict.String()}}
	if s.Provider != "" {
		props = append(props, junitProperty{Name: "provider", Value: s.Provider})
	}
	for _, r := range s.InvalidReasons {
		props = append(props, junitProperty{Name: "invalid_reason", Value: r})
	}
	for _, w := range s.Warnings {
		props = append(props, junitProperty{Name: "warning", Value: w})
	}
	return props
}

func classname(suite, scenario string) string {
	parts := []string{"loadtest"}
	if suite != "" {
		parts = append(parts, suite)
	}
	return strings.Join(append(parts, scenario), ".")
}

// timestamp is the run's start as JUnit writes it: ISO 8601 without zone,
// in UTC.
func timestamp(s Summary) string {
	if s.Started.IsZero() {
		return ""
	}
	return s.Started.UTC().Format("2006-01-02T15:04:05")
}

func seconds(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// scopeWindow is how long the results of scope took, from the first sent
// to the last ended, read from the summary's figures: a scenario's (every
// scenario's for ""), narrowed to a step of the main phase or to a phase.
// The summary breaks setup and warm-up down by scenario only, so a step of
// those phases takes its phase's window. 0 when nothing was sent.
func scopeWindow(s Summary, scope loadharness.Scope) time.Duration {
	var first, last time.Time
	for _, sc := range s.Scenarios {
		if scope.Scenario != "" && sc.Name != scope.Scenario {
			continue
		}
		f := scopeFigures(sc, scope)
		if f == nil || f.FirstSent.IsZero() || f.LastEnded.IsZero() {
			continue
		}
		if first.IsZero() || f.FirstSent.Before(first) {
			first = f.FirstSent
		}
		if f.LastEnded.After(last) {
			last = f.LastEnded
		}
	}
	return max(last.Sub(first), 0)
}

// scopeFigures returns the figures of sc that scope's step and phase
// select, nil when sc has none.
func scopeFigures(sc ScenarioSummary, scope loadharness.Scope) *Figures {
	switch scope.Phase {
	case loadharness.PhaseSetup:
		return sc.Setup
	case loadharness.PhaseWarmup:
		return sc.Warmup
	}
	if scope.Step == "" {
		return &sc.Figures
	}
	for i := range sc.Steps {
		if sc.Steps[i].Name == scope.Step {
			return &sc.Steps[i].Figures
		}
	}
	return nil
}
