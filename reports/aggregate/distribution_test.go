package aggregate_test

import (
	"testing"

	"loadharness"
	"loadharness/reports/internal/fixture"
)

func TestPercentiles(t *testing.T) {
	a := fixture.MustAggregate(t, fixture.Start, fixture.Results())
	points := a.Percentiles(loadharness.Scope{Scenario: "browse"})
	if len(points) < 10 {
		t.Fatalf("%d percentile points, want a spectrum", len(points))
	}
	for i := 1; i < len(points); i++ {
		if points[i].Percentile < points[i-1].Percentile || points[i].LatencyMS < points[i-1].LatencyMS {
			t.Fatalf("points %d and %d are not monotone: %+v, %+v", i-1, i, points[i-1], points[i])
		}
	}
	last := points[len(points)-1]
	stats := a.Snapshot(loadharness.Scope{Scenario: "browse"})
	if got, want := last.Percentile, 100.0; got != want {
		t.Errorf("last percentile = %v, want %v", got, want)
	}
	if got, want := last.LatencyMS, stats.Latency.Max; got != want {
		t.Errorf("latency at 100%% = %v, want the max %v", got, want)
	}
	if got := a.Percentiles(loadharness.Scope{Scenario: "nothing"}); got != nil {
		t.Errorf("percentiles of an unseen scope = %v, want nil", got)
	}
}

func TestVisitSecondLatencies(t *testing.T) {
	a := fixture.MustAggregate(t, fixture.Start, fixture.Results())
	for _, scope := range []loadharness.Scope{{}, {Scenario: "failover"}, {Scenario: "browse", Step: "map"}} {
		perSecond := map[int]int64{}
		a.VisitSecondLatencies(scope, false, func(second int, valueUS, count int64) {
			if valueUS <= 0 || count <= 0 {
				t.Errorf("bucket %d µs × %d", valueUS, count)
			}
			perSecond[second] += count
		})
		for _, s := range a.Seconds(scope) {
			if got, want := perSecond[s.Second], int64(s.Requests); got != want {
				t.Errorf("%+v second %d: buckets hold %d requests, want %d", scope, s.Second, got, want)
			}
		}
	}
}
