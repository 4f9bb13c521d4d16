package reports_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"loadharness"
	"loadharness/reports"
	"loadharness/reports/internal/fixture"
)

func TestJUnitGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := reports.WriteJUnit(&buf, fixture.Summary(t)); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "junit.xml.golden", buf.Bytes())
}

// junitDoc is what a CI system reads back.
type junitDoc struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func mustJUnit(t *testing.T, s reports.Summary) junitDoc {
	t.Helper()
	var buf bytes.Buffer
	if err := reports.WriteJUnit(&buf, s); err != nil {
		t.Fatal(err)
	}
	var doc junitDoc
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v\n%s", err, buf.String())
	}
	return doc
}

func TestJUnitOneCasePerGate(t *testing.T) {
	s := fixture.Summary(t)
	doc := mustJUnit(t, s)
	if got, want := doc.Tests, len(s.Gates); got != want {
		t.Errorf("tests = %d, want one per gate: %d", got, want)
	}
	if got, want := doc.Failures, loadharness.FailedGates(s.Gates); got != want {
		t.Errorf("failures = %d, want %d", got, want)
	}
	var names []string
	for _, suite := range doc.Suites {
		names = append(names, suite.Name)
	}
	if got, want := strings.Join(names, ","), "browse,failover,(run)"; got != want {
		t.Errorf("suites = %s, want %s", got, want)
	}
	failure := doc.Suites[0].Cases[1].Failure
	if failure == nil || !strings.Contains(failure.Message, "measured 2.5s, threshold < 2s") {
		t.Errorf("p99 failure = %+v, want measured against threshold", failure)
	}
}

func TestJUnitInvalidRunIsErrors(t *testing.T) {
	s := fixture.Summary(t)
	s.Verdict = loadharness.VerdictInvalid
	s.InvalidReasons = []string{"generator fell behind: sent 40/s of 62.5/s asked"}
	doc := mustJUnit(t, s)
	if got, want := doc.Errors, len(s.Gates); got != want {
		t.Errorf("errors = %d, want every gate: %d", got, want)
	}
	if doc.Failures != 0 {
		t.Errorf("failures = %d, want 0: an invalid run's gates prove nothing", doc.Failures)
	}
	e := doc.Suites[0].Cases[0].Error
	if e == nil || !strings.Contains(e.Message, "generator fell behind") {
		t.Errorf("error = %+v, want the invalid reasons", e)
	}
}

func TestJUnitWithoutGates(t *testing.T) {
	tests := []struct {
		verdict                loadharness.Verdict
		wantFailures, wantErrs int
	}{
		{loadharness.VerdictPass, 0, 0},
		{loadharness.VerdictFail, 1, 0},
		{loadharness.VerdictInvalid, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.verdict.String(), func(t *testing.T) {
			doc := mustJUnit(t, reports.Summary{Verdict: tt.verdict, Suite: "s"})
			if doc.Tests != 1 || doc.Failures != tt.wantFailures || doc.Errors != tt.wantErrs {
				t.Errorf("tests/failures/errors = %d/%d/%d, want 1/%d/%d", doc.Tests, doc.Failures, doc.Errors, tt.wantFailures, tt.wantErrs)
			}
		})
	}
}

func TestWriteJUnitReportsWriteError(t *testing.T) {
	err := reports.WriteJUnit(failingWriter{}, fixture.Summary(t))
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteJUnit to a failing writer = %v, want the write error", err)
	}
}
