package aggregate

import (
	"testing"
	"time"

	"loadharness"
)

// TestPhasesAreSeparate: setup and warm-up results never reach the main
// phase's figures, and a gate can still ask for them by name.
func TestPhasesAreSeparate(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	a := New(start)
	add := func(p loadharness.Phase, user uint32, at time.Duration, latency time.Duration, code uint16) {
		sent := start.Add(at)
		a.Add(&loadharness.Result{Scenario: "s", Step: "x", Phase: p, User: user, Sent: sent, Intended: sent, Latency: latency, Code: code})
	}
	// Setup: 10 slow logins in the first second, two users' failing.
	for u := range uint32(10) {
		code := uint16(200)
		if u < 2 {
			code = 503
		}
		add(loadharness.PhaseSetup, u, time.Duration(u)*100*time.Millisecond, 900*time.Millisecond, code)
	}
	// Warm-up: 3 s at 10/s, then the main phase: 3 s at 100/s, fast.
	for i := range 30 {
		add(loadharness.PhaseWarmup, uint32(i%10), time.Second+time.Duration(i)*100*time.Millisecond, 5*time.Millisecond, 200)
	}
	for i := range 300 {
		add(loadharness.PhaseMain, uint32(i%10), 4*time.Second+time.Duration(i)*10*time.Millisecond, time.Millisecond, 200)
	}
	m := func(name string, kind loadharness.MetricKind, q float64) loadharness.Metric {
		return loadharness.Metric{Name: name, Kind: kind, Quantile: q}
	}
	p95 := m("p95", loadharness.KindLatency, 95)
	tests := []struct {
		name   string
		metric loadharness.Metric
		phase  loadharness.Phase
		want   float64
		tol    float64
	}{
		{"main requests only", m(loadharness.MetricRequests, loadharness.KindCount, 0), loadharness.PhaseMain, 300, 0},
		{"main latency without the slow logins", p95, loadharness.PhaseMain, 1, 0.01},
		{"main throughput over its own window", m(loadharness.MetricThroughput, loadharness.KindRate, 0), loadharness.PhaseMain, 300 / 2.991, 0.5},
		{"main error rate without the failed logins", m(loadharness.MetricErrorRate, loadharness.KindRatio, 0), loadharness.PhaseMain, 0, 0},
		{"setup latency by name", p95, loadharness.PhaseSetup, 900, 1},
		{"setup error rate by name", m(loadharness.MetricErrorRate, loadharness.KindRatio, 0), loadharness.PhaseSetup, 0.2, 0},
		{"warm-up requests by name", m(loadharness.MetricRequests, loadharness.KindCount, 0), loadharness.PhaseWarmup, 30, 0},
		{"users whose setup failed", m(loadharness.MetricSetupFailed, loadharness.KindCount, 0), loadharness.PhaseMain, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := a.Measure(tt.metric, loadharness.Scope{Scenario: "s", Phase: tt.phase})
			if !ok || got < tt.want-tt.tol || got > tt.want+tt.tol {
				t.Errorf("%s{phase:%s} = %v, %v; want %v ± %v", tt.metric.Name, tt.phase, got, ok, tt.want, tt.tol)
			}
		})
	}
	if got := a.Snapshot(loadharness.Scope{Scenario: "s"}).Requests; got != 300 {
		t.Errorf("main snapshot has %d requests, want 300", got)
	}

	// Merged with itself (as shards of one run), every phase doubles.
	b := New(start)
	if err := b.Merge(a); err != nil {
		t.Fatal(err)
	}
	if err := b.Merge(a); err != nil {
		t.Fatal(err)
	}
	for _, p := range loadharness.Phases {
		want := map[loadharness.Phase]int{loadharness.PhaseMain: 600, loadharness.PhaseSetup: 20, loadharness.PhaseWarmup: 60}[p]
		if got := b.Snapshot(loadharness.Scope{Scenario: "s", Phase: p}).Requests; got != want {
			t.Errorf("merged %s requests = %d, want %d", p, got, want)
		}
	}
}
