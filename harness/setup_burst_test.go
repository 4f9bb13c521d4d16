package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/stack/external"
	"loadharness/scenarios/suite"
)

// queueServer serves at most slots requests at once, each taking work, and
// answers 503 to any request beyond them: a service with a bounded queue,
// as the seed's target has. Written from the rule "setup is paced and its
// failures are counted apart", not from the harness.
type queueServer struct {
	slots chan struct{}
	work  time.Duration
}

func (s *queueServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case s.slots <- struct{}{}:
		defer func() { <-s.slots }()
	default:
		http.Error(w, "queue full", http.StatusServiceUnavailable)
		return
	}
	time.Sleep(s.work)
	w.Write([]byte("ok"))
}

// TestSetupBurstAgainstAQueueOfFive: 100 users log in against a service
// that holds 5 requests at once. Paced by the default setup ramp, no login
// fails; sent in one burst (setup_ramp: 0s), many do, and those failures
// are counted as the setup phase's (setup_failed), apart from the main phase.
func TestSetupBurstAgainstAQueueOfFive(t *testing.T) {
	tests := []struct {
		name       string
		ramp       string // "" keeps the default
		wantFailed bool
	}{
		{"paced by the default ramp", "", false},
		{"one burst", "setup_ramp: 0s", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&queueServer{slots: make(chan struct{}, 5), work: 10 * time.Millisecond})
			defer srv.Close()
			s, err := suite.Parse("burst.yaml", []byte(fmt.Sprintf(`name: burst
gates: [setup_failed == 0]
abort: off
scenarios:
  - name: burst
    users: 100
    think: 1s
    duration: 1s
    %s
    setup: [login]
    steps:
      - {name: x, path: /x, expect: {status: [200, 503]}}
`, tt.ramp)))
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := RunOn(ctx, external.Provider{URL: srv.URL}, s, false)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			sc := res.Summary.Scenarios[0]
			if sc.Setup == nil {
				t.Fatal("no setup figures in the summary")
			}
			t.Logf("setup: %d logins, %d failed, %d users failed; main: %d requests, %d failed",
				sc.Setup.Requests, sc.Setup.Failed, sc.SetupFailed, sc.Requests, sc.Failed)
			if got, want := sc.Setup.Requests, 100; got != want {
				t.Errorf("setup requests = %d, want %d (one login per user)", got, want)
			}
			if got := sc.SetupFailed > 0; got != tt.wantFailed {
				t.Errorf("setup_failed = %d, want failures: %v", sc.SetupFailed, tt.wantFailed)
			}
			if got, want := sc.SetupFailed, sc.Setup.Failed; got != want {
				t.Errorf("setup_failed = %d users, want the %d failed logins (one login per user)", got, want)
			}
			for _, g := range res.Summary.Gates {
				if g.Gate.Metric.Name == loadharness.MetricSetupFailed && g.Pass == tt.wantFailed {
					t.Errorf("gate %s: pass = %v", g.Display, g.Pass)
				}
			}
		})
	}
}
