package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/stack/external"
	"loadharness/scenarios/suite"
)

// stallingServer answers at once until stallAfter past its first request,
// then holds every request until stallUntil past it: a service that stops
// answering in the last second of a run. Written from the rule "every due
// hit is accounted for", not from the harness.
type stallingServer struct {
	stallAfter, stallUntil time.Duration
	once                   sync.Once
	first                  time.Time
}

func (s *stallingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.once.Do(func() { s.first = time.Now() })
	if since := time.Since(s.first); since > s.stallAfter {
		select {
		case <-time.After(s.stallUntil - since):
		case <-r.Context().Done():
		}
	}
	w.Write([]byte("ok"))
}

// TestStallInTheLastSecondFails: an open model of 100/s for 3 s meets a
// target that stalls from 1.8 s to 3.3 s. The hits that fell due while
// every user waited were never sent; each is a failure of its user, so the
// run fails its error and dropped gates, and requests plus dropped hits are
// exactly the 300 the model asked for.
func TestStallInTheLastSecondFails(t *testing.T) {
	srv := httptest.NewServer(&stallingServer{stallAfter: 1800 * time.Millisecond, stallUntil: 3300 * time.Millisecond})
	defer srv.Close()
	s, err := suite.Parse("stall.yaml", []byte(`name: stall
gates: [p95 < 2s, error_rate < 0.1%, dropped == 0]
abort: off
scenarios:
  - name: open
    users: 10
    rate: 100/s
    duration: 3s
    steps:
      - {name: x, path: /x, expect: {status: 200}}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := RunOn(ctx, external.Provider{URL: srv.URL}, s, false, WithLogf(t.Logf))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	sc := res.Summary.Scenarios[0]
	for _, g := range res.Summary.Gates {
		t.Logf("gate %s", g.Display)
	}
	t.Logf("requests %d, dropped %d, failed %d; verdict %s", sc.Requests, sc.Dropped, sc.Failed, res.Summary.Verdict)
	if got, want := sc.Requests+sc.Dropped, 300; got != want {
		t.Errorf("requests %d + dropped %d = %d, want every one of the %d hits due", sc.Requests, sc.Dropped, got, want)
	}
	if sc.Dropped == 0 {
		t.Errorf("no hit dropped, though every user waited for the stalled target")
	}
	if got, want := res.Summary.Verdict, loadharness.VerdictFail; got != want {
		t.Errorf("verdict %s, want %s", got, want)
	}
	for _, g := range res.Summary.Gates {
		if name := g.Gate.Metric.Name; (name == loadharness.MetricErrorRate || name == loadharness.MetricDropped) && g.Pass {
			t.Errorf("gate %s passed on a stalled target", g.Display)
		}
	}
}
