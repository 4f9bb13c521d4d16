package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/stack/external"
	"loadharness/reports/aggregate"
	"loadharness/scenarios/suite"
)

// WithAggregate hands over the run's own aggregate before the first
// request, and it is the one the result holds: what a live exporter reads
// is what the summary says.
func TestWithAggregateHandsOverTheRunsAggregateBeforeAnyLoad(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	s, err := suite.Parse("watch.yaml", []byte(`name: watch
scenarios:
  - name: ping
    users: 2
    think: 20ms
    duration: 500ms
    steps:
      - {name: ping, path: /ping}
`))
	if err != nil {
		t.Fatal(err)
	}
	var (
		watched     *aggregate.Aggregate
		hitsAtWatch int64 = -1
	)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := RunOn(ctx, external.Provider{URL: srv.URL}, s, false, WithLogf(t.Logf),
		WithAggregate(func(a *aggregate.Aggregate) { watched, hitsAtWatch = a, hits.Load() }))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if watched == nil || watched != res.Aggregate {
		t.Fatalf("watched %p, the result's aggregate is %p: want the same one", watched, res.Aggregate)
	}
	if hitsAtWatch != 0 {
		t.Errorf("the aggregate was handed over after %d requests, want before any", hitsAtWatch)
	}
	got, want := watched.Snapshot(loadharness.Scope{Scenario: "ping"}).Requests, res.Summary.Scenarios[0].Requests
	if got != want || got == 0 {
		t.Errorf("the watched aggregate counts %d requests, the summary %d; want the same, not 0", got, want)
	}
}
