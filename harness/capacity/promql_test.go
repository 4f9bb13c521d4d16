package capacity_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"loadharness/harness/capacity"
	"loadharness/harness/stack/external"
	"loadharness/scenarios/suite"
)

// rateProm is a service that notes when it answered each request, and a
// Prometheus of it whose every range query answers the rate the service
// served over the asked window: a stand-in for rate(requests_total[…]).
type rateProm struct {
	mu      sync.Mutex
	served  []time.Time
	queries int
}

func (p *rateProm) service(w http.ResponseWriter, _ *http.Request) {
	p.mu.Lock()
	p.served = append(p.served, time.Now())
	p.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (p *rateProm) prometheus(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if strings.HasSuffix(r.URL.Path, "/targets") {
		fmt.Fprint(w, `{"status":"success","data":{"activeTargets":[],"droppedTargets":[]}}`)
		return
	}
	start, err1 := strconv.ParseFloat(r.FormValue("start"), 64)
	end, err2 := strconv.ParseFloat(r.FormValue("end"), 64)
	if err1 != nil || err2 != nil || end <= start {
		http.Error(w, `{"status":"error","errorType":"bad_data","error":"bad window"}`, http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.queries++
	n := 0
	for _, t := range p.served {
		if s := float64(t.UnixNano()) / 1e9; s >= start && s <= end {
			n++
		}
	}
	p.mu.Unlock()
	fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[%f,"%f"]]}]}}`, end, float64(n)/(end-start))
}

// TestCapacityLimitedByAPromQLGate: every step of a search judges the
// promql gate on the Prometheus given, over the step's own main phase, so
// a gate on the served rate (< 65/s) fails the steps above it and the
// capacity found is below it.
func TestCapacityLimitedByAPromQLGate(t *testing.T) {
	if testing.Short() {
		t.Skip("a capacity search of several steps: skipped in -short mode")
	}
	p := &rateProm{}
	srv, prom := httptest.NewServer(http.HandlerFunc(p.service)), httptest.NewServer(http.HandlerFunc(p.prometheus))
	defer srv.Close()
	defer prom.Close()
	s, err := suite.Parse("rate.yaml", []byte("name: rate\nstack: {instances: 1, workers: 1}\n"+
		"gates: [error_rate < 1%, 'promql(`served_rate`) < 65']\n"+
		"scenarios:\n  - name: work\n    users: 8\n    rate: 20/s\n    duration: 1s\n    steps: [{name: work, path: /work}]\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := capacity.Search(ctx, capacity.Config{
		Suite: s, By: capacity.ByRate, Provider: external.Provider{URL: srv.URL}, PrometheusURL: prom.URL,
		Search: capacity.SearchOptions{Start: 20, Max: 160, Resolution: 0.2,
			Warmup: 300 * time.Millisecond, Step: 1500 * time.Millisecond, Confirm: 2 * time.Second, CoolDown: 100 * time.Millisecond},
		Progress: logWriter{t},
		Logf:     func(string, ...any) {},
	})
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	queries := p.queries
	p.mu.Unlock()
	t.Logf("capacity %.1f/s, bracket [%g, %g], confirmed %v, %d steps, %d queries", res.Capacity, res.LastPass, res.FirstFail, res.Confirmed, len(res.Curve), queries)
	// A step can also come out invalid when this shared machine starves
	// the generator; the bracket still closes below the first step the
	// promql gate failed.
	if res.Capacity < 40 || res.Capacity >= 65 {
		t.Errorf("capacity %.1f/s, want 40..65/s, below where the promql gate fails", res.Capacity)
	}
	failedOnPromQL := false
	for _, pt := range res.Curve {
		for _, g := range pt.FailedGates {
			if strings.HasPrefix(g, "promql(`served_rate`) = ") {
				failedOnPromQL = true
				if pt.Load < 65 {
					t.Errorf("the promql gate failed at %g/s, under its threshold: %s", pt.Load, g)
				}
			}
		}
	}
	if !failedOnPromQL {
		t.Errorf("no step failed on the promql gate: %+v", res.Curve)
	}
	if queries < len(res.Curve) {
		t.Errorf("%d queries for %d steps, want one a step at least", queries, len(res.Curve))
	}
}
