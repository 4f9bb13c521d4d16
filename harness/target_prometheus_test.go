package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/promql"
	"loadharness/harness/stack/external"
	"loadharness/internal/promtest"
)

// restartingServer is a service written from the rule, not from the
// harness: every request it answers is a serialization error it counts, and
// after resetAt requests (0: never) its counter starts again from zero, as a worker
// restarted by its supervisor does. It serves its counter on /metrics.
type restartingServer struct {
	resetAt int

	mu      sync.Mutex
	counted int // every error, across the restart
	counter int // what /metrics says
}

func (s *restartingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.URL.Path == "/metrics" {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# TYPE target_serialization_errors_total counter\ntarget_serialization_errors_total %d\n", s.counter)
		return
	}
	s.counted++
	s.counter++
	if s.resetAt > 0 && s.counted == s.resetAt {
		s.counter = 0
	}
	w.Write([]byte("ok"))
}

// TestTargetCountersFromPrometheus: with only a Prometheus to read the
// service's counters (an external service, no --metrics-url), the gate on
// serialization_errors counts every error the service counted; when the
// service's counter was reset mid-run (a restarted worker), what it
// counted between the last scrape and the reset is lost to any reader, so
// a gate is judged only when what was seen decides it: == 0 fails on the
// errors seen, <= 1000 is not measured rather than passed.
func TestTargetCountersFromPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("real Prometheus: skipped in -short mode")
	}
	for _, tc := range []struct {
		name    string
		resetAt int
	}{
		{"steady", 0},
		{"restarted", 60},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc := &restartingServer{resetAt: tc.resetAt}
			srv := httptest.NewServer(svc)
			defer srv.Close()
			prom := promtest.Start(t, promtest.Config{WaitUp: true, Targets: map[string]string{"target": strings.TrimPrefix(srv.URL, "http://")}})
			s := mustSuite(t, "name: target-counters\nabort: off\nscenarios:\n  - name: load\n    users: 4\n    rate: 20/s\n    duration: 5s\n"+
				"    gates: [serialization_errors == 0, serialization_errors <= 1000]\n    steps: [{name: x, path: /x}]\n")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := RunOn(ctx, external.Provider{URL: srv.URL}, s, false, WithLogf(t.Logf), WithPrometheus(prom))
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			warned := false
			for _, w := range res.Summary.Warnings {
				t.Logf("warning: %s", w)
				warned = warned || strings.Contains(w, "was reset 1 time(s)")
			}
			svc.mu.Lock()
			counted := svc.counted
			svc.mu.Unlock()
			if counted <= tc.resetAt {
				t.Fatalf("the service counted %d, not past its restart at %d: the test proves nothing", counted, tc.resetAt)
			}
			equal, bounded := res.Summary.Gates[0], res.Summary.Gates[1]
			t.Logf("%s | %s; the service counted %d", equal.Display, bounded.Display, counted)
			if tc.resetAt == 0 {
				if equal.Missing || equal.Measured != float64(counted) || equal.Pass {
					t.Errorf("%s, want measured %d exactly (a failed gate)", equal.Display, counted)
				}
				if bounded.Missing || !bounded.Pass || bounded.Measured != float64(counted) {
					t.Errorf("%s, want measured %d and passed", bounded.Display, counted)
				}
				return
			}
			// At 20/s and a scrape a second, at most a second of errors
			// falls between the last scrape and the reset.
			if equal.Missing || equal.Pass || equal.Measured > float64(counted) || equal.Measured < float64(counted-20) {
				t.Errorf("%s, want a failure measured within the 20 errors before the reset of %d", equal.Display, counted)
			}
			if !bounded.Missing || bounded.Pass {
				t.Errorf("%s, want not measured: a lower bound cannot prove it holds", bounded.Display)
			}
			if !warned {
				t.Error("no warning says the counter was reset")
			}
			if res.Summary.Verdict == loadharness.VerdictPass {
				t.Errorf("verdict %s on a counter that lost counts", res.Summary.Verdict)
			}
		})
	}
}

// TestFoldSamples checks the reading series by series: a base before the
// span, a reset, a series born inside the span, one that stops, and a
// gauge, whose change is its last value less its first.
func TestFoldSamples(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	pts := func(vals ...float64) []promql.Point {
		var out []promql.Point
		for i, v := range vals {
			out = append(out, promql.Point{At: at(i), Value: v})
		}
		return out
	}
	span := targetSpan{from: at(1), to: at(9)}
	series := []promql.Series{
		// 10 before the span (at 0 and 1), then +5, reset to 2, +3: 5+2+3.
		{Name: "x_total", Labels: `x_total{worker="1"}`, Points: pts(9, 10, 15, 2, 5)},
		// born at 3 with 4 already counted inside the span: 4+1.
		{Name: "x_total", Labels: `x_total{worker="2"}`, Points: []promql.Point{{At: at(3), Value: 4}, {At: at(4), Value: 5}}},
		// stops after 2: keeps its rise of 3.
		{Name: "x_total", Labels: `x_total{worker="3"}`, Points: pts(1, 1, 4)},
		// a gauge: 7 at the start, 3 at the end.
		{Name: "queue_depth", Labels: `queue_depth`, Points: pts(7, 7, 9, 3)},
	}
	tm := foldSamples(series, span)
	if got, want := tm.Values["x_total"], float64(10+5+3); got != want {
		t.Errorf("x_total rose %v, want %v", got, want)
	}
	if got, want := tm.Values["queue_depth"], float64(3-7); got != want {
		t.Errorf("queue_depth changed %v, want %v", got, want)
	}
}
