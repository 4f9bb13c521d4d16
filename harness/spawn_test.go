package harness_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness"
	"loadharness/harness/stack"
	"loadharness/harness/stack/external"
	"loadharness/reports/aggregate"
	"loadharness/scenarios/suite"
)

// MustParseSuite parses a suite written in the test.
func MustParseSuite(tb testing.TB, text string) *suite.Suite {
	tb.Helper()
	s, err := suite.Parse("test.yaml", []byte(text))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// MustExternalStack points a stack at url.
func MustExternalStack(tb testing.TB, url string) stack.Stack {
	tb.Helper()
	st, err := external.Provider{URL: url}.Start(context.Background(), loadharness.StackShape{})
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

const spawnSuite = `
name: spawn
gates: [error_rate < 1%]
scenarios:
  - name: browse
    users: 64
    think: 20ms
    warmup: 200ms
    duration: 1s
    setup_ramp: 0s # the burst that batches avoid, without the default pacing
    setup: [{name: login, path: /login}]
    steps: [{name: page, path: /page}]
`

func TestRunOnStackSpawnsUsersInBatches(t *testing.T) {
	tests := []struct {
		name     string
		spawn    *harness.Spawn
		burstMax int64 // the most logins at once allowed
		burstMin int64 // and the fewest expected
	}{
		// Batches of 8 every 50ms against logins of 30ms: near 8 at once.
		{name: "batches", spawn: &harness.Spawn{Batch: 8, Every: 50 * time.Millisecond}, burstMax: 24},
		// Without a spawn every user logs in at once: the burst the batches avoid.
		{name: "all at once", burstMin: 32, burstMax: 64},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inLogin, peak atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/login" {
					n := inLogin.Add(1)
					defer inLogin.Add(-1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					time.Sleep(30 * time.Millisecond) // long enough for a burst to pile up
				}
				w.WriteHeader(http.StatusOK)
			}))
			defer srv.Close()
			opts := []harness.Option{harness.WithoutSetupResults()}
			if tt.spawn != nil {
				opts = append(opts, harness.WithSpawn(*tt.spawn))
			}
			res, err := harness.Run(context.Background(), MustParseSuite(t, spawnSuite), MustExternalStack(t, srv.URL), opts...)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := res.SetupRequests, 64; got != want {
				t.Errorf("setup requests left out = %d, want %d (64 users × 1 setup step)", got, want)
			}
			if got, want := res.Summary.Verdict, loadharness.VerdictPass; got != want {
				t.Errorf("verdict = %s, want %s: %v", got, want, res.Summary.Gates)
			}
			if got := peak.Load(); got < tt.burstMin || got > tt.burstMax {
				t.Errorf("peak concurrent logins = %d, want %d..%d", got, tt.burstMin, tt.burstMax)
			}
			for _, sc := range res.Summary.Scenarios {
				for _, st := range sc.Steps {
					if st.Name == "login" {
						t.Errorf("setup step login reached the aggregate (%d requests) with SkipSetup", st.Requests)
					}
				}
			}
		})
	}
}

func TestRunOnStackAbortsAClearlyFailingScenario(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	s := MustParseSuite(t, `
name: abort
gates: [error_rate < 1%]
scenarios:
  - name: broken
    users: 4
    duration: 20s
    steps: [{name: page, path: /page}]
`)
	started := time.Now()
	res, err := harness.Run(context.Background(), s, MustExternalStack(t, srv.URL),
		harness.WithAbortCheck(func(scenario string, live *aggregate.Aggregate, _ time.Time) string {
			n, _ := live.Measure(loadharness.Metric{Name: loadharness.MetricErrors, Kind: loadharness.KindCount},
				loadharness.Scope{Scenario: scenario})
			if n >= 20 {
				return "20 errors"
			}
			return ""
		}))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(started); took > 10*time.Second {
		t.Errorf("the aborted scenario ran %s of its 20s", took.Round(time.Millisecond))
	}
	if got, want := res.Summary.Aborted, "broken: 20 errors"; got != want {
		t.Errorf("aborted = %q, want %q", got, want)
	}
	if got, want := res.Summary.Verdict, loadharness.VerdictFail; got != want {
		t.Errorf("verdict = %s, want %s", got, want)
	}
}
