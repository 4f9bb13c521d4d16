package aggregate

import (
	"testing"
	"time"

	"loadharness"
)

// TestDroppedHitsFailTheirUsers: a record of dropped hits is no request and
// has no latency, but each hit it stands for is a failure in error_rate and
// availability, counted per scenario and per second.
func TestDroppedHitsFailTheirUsers(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	a := New(start)
	for i := range 90 {
		sent := start.Add(time.Duration(i) * 10 * time.Millisecond)
		a.Add(&loadharness.Result{Scenario: "s", Step: "x", Sent: sent, Intended: sent, Latency: time.Millisecond, Code: 200})
	}
	due := start.Add(2 * time.Second)
	a.Add(&loadharness.Result{Scenario: "s", Intended: due, Sent: due, Error: loadharness.DropUsersBusy, Dropped: 10})
	kinds := map[string]loadharness.MetricKind{
		loadharness.MetricErrorRate: loadharness.KindRatio, loadharness.MetricAvailability: loadharness.KindRatio,
		loadharness.MetricDropped: loadharness.KindCount, loadharness.MetricRequests: loadharness.KindCount,
	}
	measure := func(name string, scope loadharness.Scope) (float64, bool) {
		return a.Measure(loadharness.Metric{Name: name, Kind: kinds[name]}, scope)
	}
	tests := []struct {
		metric string
		scope  loadharness.Scope
		want   float64
		ok     bool
	}{
		{loadharness.MetricErrorRate, loadharness.Scope{Scenario: "s"}, 0.1, true},
		{loadharness.MetricAvailability, loadharness.Scope{Scenario: "s"}, 0.9, true},
		{loadharness.MetricDropped, loadharness.Scope{Scenario: "s"}, 10, true},
		{loadharness.MetricDropped, loadharness.Scope{}, 10, true},
		{loadharness.MetricRequests, loadharness.Scope{Scenario: "s"}, 90, true},
		{loadharness.MetricErrorRate, loadharness.Scope{Scenario: "s", Step: "x"}, 0, true},
	}
	for _, tt := range tests {
		got, ok := measure(tt.metric, tt.scope)
		if ok != tt.ok || got < tt.want-1e-9 || got > tt.want+1e-9 {
			t.Errorf("%s %+v = %v, %v; want %v, %v", tt.metric, tt.scope, got, ok, tt.want, tt.ok)
		}
	}
	if got := a.Steps("s"); len(got) != 1 || got[0] != "x" {
		t.Errorf("steps %q: a dropped hit has no step", got)
	}
	secs := a.Seconds(loadharness.Scope{Scenario: "s"})
	if len(secs) < 3 || secs[2].Dropped != 10 {
		t.Errorf("seconds %+v: want the 10 dropped hits in second 2", secs)
	}

	// Nothing sent at all: the error rate is measured (every hit failed),
	// latency is not.
	b := New(start)
	b.Add(&loadharness.Result{Scenario: "s", Intended: due, Sent: due, Error: loadharness.DropGeneratorBehind, Dropped: 5})
	if got, ok := b.Measure(loadharness.Metric{Name: loadharness.MetricErrorRate, Kind: loadharness.KindRatio}, loadharness.Scope{Scenario: "s"}); !ok || got != 1 {
		t.Errorf("error_rate with only dropped hits = %v, %v; want 1, true", got, ok)
	}
	if _, ok := b.Measure(loadharness.Metric{Name: "p95", Kind: loadharness.KindLatency, Quantile: 95}, loadharness.Scope{Scenario: "s"}); ok {
		t.Error("p95 measured with nothing sent")
	}
}
