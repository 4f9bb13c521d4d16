package reports_test

import (
	"bytes"
	"encoding/xml"
	"strconv"
	"testing"
	"time"

	"loadharness"
	"loadharness/reports"
	"loadharness/reports/internal/fixture"
)

// junitTimes reads back the time attributes of every suite and case, by
// suite name and case name.
type junitTimes struct {
	Suites []struct {
		Name  string `xml:"name,attr"`
		Time  string `xml:"time,attr"`
		Cases []struct {
			Name string `xml:"name,attr"`
			Time string `xml:"time,attr"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func mustJUnitTimes(t *testing.T, s reports.Summary) (suites, cases map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	if err := reports.WriteJUnit(&buf, s); err != nil {
		t.Fatal(err)
	}
	var doc junitTimes
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("junit.xml does not parse: %v", err)
	}
	suites, cases = map[string]string{}, map[string]string{}
	for _, su := range doc.Suites {
		suites[su.Name] = su.Time
		for _, c := range su.Cases {
			cases[su.Name+"/"+c.Name] = c.Time
		}
	}
	return suites, cases
}

// figuresOver returns figures whose window runs from start+from to start+to.
func figuresOver(from, to time.Duration) reports.Figures {
	return reports.Figures{Requests: 1, FirstSent: fixture.Start.Add(from), LastEnded: fixture.Start.Add(to)}
}

func mustGate(t *testing.T, scenario, text string) loadharness.GateResult {
	t.Helper()
	g, err := loadharness.ParseGate(text)
	if err != nil {
		t.Fatal(err)
	}
	return loadharness.GateResult{Scenario: scenario, Gate: g, Pass: true}
}

func TestJUnitTimesAreTheMeasuredWindows(t *testing.T) {
	warmup := figuresOver(0, 2*time.Second)
	s := reports.Summary{
		Suite: "s", Started: fixture.Start, Finished: fixture.Start.Add(time.Minute),
		Scenarios: []reports.ScenarioSummary{
			{
				Name: "browse", Figures: figuresOver(2*time.Second, 12500*time.Millisecond), Warmup: &warmup,
				Steps: []reports.StepSummary{{Name: "map", Figures: figuresOver(3*time.Second, 8*time.Second)}},
			},
			{Name: "spike", Figures: figuresOver(20*time.Second, 25*time.Second)},
			{Name: "idle"}, // sent nothing: no window
		},
	}
	s.Gates = []loadharness.GateResult{
		mustGate(t, "browse", "p95 < 2s"),
		mustGate(t, "browse", "p95{step:map} < 2s"),
		mustGate(t, "browse", "p95{phase:warmup} < 2s"),
		mustGate(t, "browse", "p95{phase:setup} < 2s"),
		mustGate(t, "spike", "error_rate < 1%"),
		mustGate(t, "idle", "requests >= 1"),
		mustGate(t, "", "requests >= 1"),
		mustGate(t, "", "p95{step:map} < 2s"),
	}
	suites, cases := mustJUnitTimes(t, s)
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"suite browse: its main phase", suites["browse"], "10.500"},
		{"suite spike", suites["spike"], "5.000"},
		{"suite idle: nothing sent", suites["idle"], "0.000"},
		{"suite (run): first scenario's start to last one's end", suites["(run)"], "23.000"},
		{"gate on the scenario", cases["browse/p95 < 2s"], "10.500"},
		{"gate on a step", cases["browse/p95{step:map} < 2s"], "5.000"},
		{"gate on the warm-up", cases["browse/p95{phase:warmup} < 2s"], "2.000"},
		{"gate on a phase the scenario lacks", cases["browse/p95{phase:setup} < 2s"], "0.000"},
		{"gate on the run", cases["(run)/requests >= 1"], "23.000"},
		{"gate on a step across scenarios", cases["(run)/p95{step:map} < 2s"], "5.000"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: time = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

func TestJUnitTimesOfTheFixtureMatchItsThroughput(t *testing.T) {
	s := fixture.Summary(t)
	suites, _ := mustJUnitTimes(t, s)
	for _, sc := range s.Scenarios {
		// throughput_rps is requests over the same window.
		want := strconv.FormatFloat(float64(sc.Requests)/sc.ThroughputRPS, 'f', 3, 64)
		if got := suites[sc.Name]; got != want {
			t.Errorf("suite %s: time = %s, want requests/throughput = %s", sc.Name, got, want)
		}
	}
}
