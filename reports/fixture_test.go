package reports_test

import (
	"fmt"
	"testing"
	"time"

	"loadharness"
	"loadharness/reports"
)

// fixtureStart is the fixed start of the fixture run: tests never read the
// wall clock, so golden files stay byte-for-byte stable.
var fixtureStart = time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)

// fixtureResults is a small, fully determined run of two scenarios: "browse"
// (ten users alternating upload and map, a few slow maps, 503s, one refused
// connection, users 3 and 4 swapped late in the run) and "failover" (five
// users on map, a burst of 502s while an instance is killed).
func fixtureResults() []loadharness.Result {
	var out []loadharness.Result
	for i := range 600 {
		r := loadharness.Result{
			Scenario: "browse",
			User:     uint32(1 + i%10),
			Seq:      uint64(i),
			Method:   "POST",
			URL:      "http://127.0.0.1:8080/upload",
			Step:     "upload",
			Sent:     fixtureStart.Add(time.Duration(i) * 16 * time.Millisecond),
			Latency:  40*time.Millisecond + time.Duration(i%7)*3*time.Millisecond,
			Code:     200,
			BytesIn:  512,
			BytesOut: 4096,
			Instance: fmt.Sprintf("instance-%d", 1+i%3),
		}
		// The load model fell a little behind: up to 8ms late.
		r.Intended = r.Sent.Add(-time.Duration(i%5) * 2 * time.Millisecond)
		if (i/10)%2 == 1 {
			r.Step, r.Method, r.URL = "map", "GET", "http://127.0.0.1:8080/map"
			r.Latency = 120*time.Millisecond + time.Duration(i%13)*25*time.Millisecond
			if i%41 == 13 {
				r.Latency = 2500 * time.Millisecond
			}
			r.Session = loadharness.SessionKept
			if i >= 400 && (r.User == 3 || r.User == 4) {
				r.Session = loadharness.SessionLost
				r.CheckFailure = "dataset belongs to another user"
			}
		}
		switch {
		case i%150 == 149:
			r.Code, r.Error = 503, "503 Service Unavailable"
		case i == 333:
			r.Code, r.Error, r.Instance = 0, "dial tcp 127.0.0.1:8081: connect: connection refused", ""
		}
		out = append(out, r)
	}
	for i := range 200 {
		r := loadharness.Result{
			Scenario: "failover",
			User:     uint32(101 + i%5),
			Seq:      uint64(i),
			Method:   "GET",
			URL:      "http://127.0.0.1:8080/map",
			Step:     "map",
			Sent:     fixtureStart.Add(2*time.Second + time.Duration(i)*40*time.Millisecond),
			Latency:  200*time.Millisecond + time.Duration(i%11)*10*time.Millisecond,
			Code:     200,
			BytesIn:  128,
			BytesOut: 65536,
			Session:  loadharness.SessionKept,
			Instance: fmt.Sprintf("instance-%d", 1+i%3),
		}
		r.Intended = r.Sent
		if i >= 100 { // instance-1 was killed at +6s
			r.Instance = fmt.Sprintf("instance-%d", 2+i%2)
		}
		if i >= 100 && i < 110 {
			r.Code, r.Error, r.Session = 502, "502 Bad Gateway", loadharness.SessionUnchecked
		}
		out = append(out, r)
	}
	return out
}

// MustAggregate folds results into a new aggregate started at start.
func MustAggregate(tb testing.TB, start time.Time, results []loadharness.Result) *reports.Aggregate {
	tb.Helper()
	a := reports.NewAggregate(start)
	for i := range results {
		a.Add(&results[i])
	}
	if err := a.Close(); err != nil {
		tb.Fatalf("close aggregate: %v", err)
	}
	return a
}

// targetCounters stands in for the harness's scrape of the target.
var targetCounters = loadharness.MeasurerFunc(func(m loadharness.Metric, s loadharness.Scope) (float64, bool) {
	if m.Name == loadharness.MetricSerializationErrors && s == (loadharness.Scope{}) {
		return 0, true
	}
	return 0, false
})

// fixtureGates are judged on the fixture: some hold, some fail, one is
// answered by the target rather than the aggregate.
var fixtureGates = []struct{ scenario, gate string }{
	{"browse", "p95 < 2s"},
	{"browse", "p99 < 2s"},
	{"browse", "p95{step:map} < 1.5s"},
	{"browse", "error_rate < 1%"},
	{"browse", "sessions_lost == 0"},
	{"failover", "availability >= 99%"},
	{"failover", "throughput >= 20/s"},
	{"", "serialization_errors == 0"},
	{"", "requests >= 800"},
}

// fixtureSummary builds the summary of the fixture run as the harness would.
func fixtureSummary(tb testing.TB) reports.Summary {
	tb.Helper()
	a := MustAggregate(tb, fixtureStart, fixtureResults())
	measure := loadharness.Measurers{a, targetCounters}
	var gates []loadharness.GateResult
	for _, fg := range fixtureGates {
		g, err := loadharness.ParseGate(fg.gate)
		if err != nil {
			tb.Fatalf("ParseGate(%q): %v", fg.gate, err)
		}
		gates = append(gates, g.Evaluate(fg.scenario, measure))
	}
	scenarios := reports.BuildScenarioSummaries(a)
	scenarios[0].AskedRPS = 62.5
	return reports.Summary{
		Verdict:  loadharness.Judge(loadharness.Evidence{Gates: gates}).Verdict,
		Suite:    "scaling-plan",
		Provider: "process",
		Started:  fixtureStart,
		Finished: fixtureStart.Add(12 * time.Second),
		Warnings: []string{"embedded Redis (miniredis): figures do not stand for real Redis"},
		Stack:    loadharness.DefaultStackShape,
		Events: []loadharness.Event{
			{At: fixtureStart.Add(6 * time.Second), Kind: "kill", Target: "instance-1"},
		},
		Gates:     gates,
		Scenarios: scenarios,
	}
}
