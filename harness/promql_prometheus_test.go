package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/stack/external"
	"loadharness/internal/promtest"
)

// counterServer is the service under load, written from the rule, not from
// the harness: it answers every request, and serves bad_counter_total in
// Prometheus's text format on /metrics. When moving, each request it
// answers adds one to the counter; otherwise the counter stays at 7.
type counterServer struct {
	moving bool
	count  atomic.Int64
}

func (s *counterServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/metrics" {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP bad_counter_total Something that must not happen.\n# TYPE bad_counter_total counter\nbad_counter_total %d\n", 7+s.count.Load())
		return
	}
	if s.moving {
		s.count.Add(1)
	}
	w.Write([]byte("ok"))
}

// TestPromQLGateOnARealPrometheus: a gate on a counter of the service,
// read from a real Prometheus over the run's main phase, fails when the
// counter moves during the run and passes when it stays still.
func TestPromQLGateOnARealPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("real Prometheus: skipped in -short mode")
	}
	moves, still := &counterServer{moving: true}, &counterServer{}
	movesSrv, stillSrv := httptest.NewServer(moves), httptest.NewServer(still)
	defer movesSrv.Close()
	defer stillSrv.Close()
	prom := promtest.Start(t, promtest.Config{WaitUp: true, Targets: map[string]string{
		"moves": strings.TrimPrefix(movesSrv.URL, "http://"),
		"still": strings.TrimPrefix(stillSrv.URL, "http://"),
	}})
	tests := []struct {
		job  string
		srv  *httptest.Server
		pass bool
	}{
		{"moves", movesSrv, false},
		{"still", stillSrv, true},
	}
	for _, tt := range tests {
		t.Run(tt.job, func(t *testing.T) {
			gate := fmt.Sprintf("promql(`increase(bad_counter_total{job=%q}[5s])`) == 0", tt.job)
			s := mustSuite(t, "name: promql-"+tt.job+"\nabort: off\nscenarios:\n  - name: load\n    users: 4\n    rate: 20/s\n    duration: 4s\n"+
				"    gates: ['"+gate+"', errors == 0]\n    steps: [{name: x, path: /x}]\n")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := RunOn(ctx, external.Provider{URL: tt.srv.URL}, s, false, WithLogf(t.Logf), WithPrometheus(prom))
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			got := promQLGate(t, res.Summary.Gates)
			for _, w := range res.Summary.Warnings {
				t.Logf("warning: %s", w)
			}
			if got == nil || got.Missing {
				t.Fatalf("promql gate %+v: want it measured", got)
			}
			if got.Pass != tt.pass {
				t.Errorf("%s: pass = %v, want %v", got.Display, got.Pass, tt.pass)
			}
			switch {
			case tt.pass && got.Measured != 0:
				t.Errorf("measured %v on a still counter, want 0", got.Measured)
			case !tt.pass && got.Measured < 1:
				t.Errorf("measured %v on a counter that rose by %d, want at least 1", got.Measured, moves.count.Load())
			}
			want := loadharness.VerdictFail
			if tt.pass {
				want = loadharness.VerdictPass
			}
			if res.Summary.Verdict != want {
				t.Errorf("verdict %s, want %s (invalid: %v)", res.Summary.Verdict, want, res.Summary.InvalidReasons)
			}
		})
	}
}
