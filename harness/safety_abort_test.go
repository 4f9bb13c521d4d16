package harness

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/stack/external"
	"loadharness/reports/aggregate"
	"loadharness/scenarios/suite"
)

// secondsOf builds per-second figures from (requests, failed) pairs, the
// first second starting at start.
func secondsOf(start time.Time, pairs ...[2]int) []aggregate.SecondStats {
	out := make([]aggregate.SecondStats, len(pairs))
	for i, p := range pairs {
		out[i] = aggregate.SecondStats{Second: i, Start: start.Add(time.Duration(i) * time.Second), Requests: p[0], Failed: p[1]}
	}
	return out
}

func TestAbortCheck(t *testing.T) {
	start := time.Unix(1_000_000, 0)
	rule := suite.AbortRule{ErrorRate: 0.5, For: 3 * time.Second}
	// judged is a time at which every one of n seconds has been judged.
	judged := func(n int) time.Time { return start.Add(time.Duration(n)*time.Second + abortGrace) }
	tests := []struct {
		name     string
		rule     suite.AbortRule
		secs     []aggregate.SecondStats
		now      time.Time
		wantFire bool
	}{
		{"no seconds", rule, nil, judged(0), false},
		{"healthy", rule, secondsOf(start, [2]int{10, 0}, [2]int{10, 1}, [2]int{10, 0}), judged(3), false},
		{"failing for the window", rule, secondsOf(start, [2]int{10, 0}, [2]int{10, 9}, [2]int{10, 6}, [2]int{10, 10}), judged(4), true},
		{"failing but shorter than the window", rule, secondsOf(start, [2]int{10, 0}, [2]int{10, 0}, [2]int{10, 9}, [2]int{10, 9}), judged(4), false},
		{"exactly at the threshold does not fire", rule, secondsOf(start, [2]int{10, 5}, [2]int{10, 5}, [2]int{10, 5}), judged(3), false},
		{"a good second breaks the streak", rule, secondsOf(start, [2]int{10, 9}, [2]int{10, 9}, [2]int{10, 1}, [2]int{10, 9}, [2]int{10, 9}), judged(5), false},
		{"empty seconds neither count nor break", rule, secondsOf(start, [2]int{10, 9}, [2]int{0, 0}, [2]int{10, 9}, [2]int{0, 0}, [2]int{10, 9}), judged(5), true},
		{"recent seconds wait for the grace", rule, secondsOf(start, [2]int{10, 9}, [2]int{10, 9}, [2]int{10, 9}), judged(2), false},
		{"off never fires", suite.AbortRule{Off: true}, secondsOf(start, [2]int{10, 10}, [2]int{10, 10}, [2]int{10, 10}), judged(3), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reason, got := abortCheck(tt.rule, tt.secs, tt.now)
			if want := tt.wantFire; got != want {
				t.Fatalf("fire = %v (%q), want %v", got, reason, want)
			}
			if got && !strings.HasPrefix(reason, "aborted: error rate > 50% for 3s (") {
				t.Errorf("reason %q, want it to name the rule and the figures", reason)
			}
		})
	}
}

// failingSuite is a suite whose every request gets a 500 from target.
func failingSuite(t *testing.T, abort string) *suite.Suite {
	t.Helper()
	yaml := `name: failing
` + abort + `
scenarios:
  - name: first
    users: 4
    rate: 50/s
    duration: 30s
    steps:
      - {name: boom, path: /boom}
  - name: second
    users: 4
    rate: 50/s
    duration: 30s
    steps:
      - {name: boom, path: /boom}
`
	s, err := suite.Parse("failing.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRunAbortsWhenErrorsStayHigh(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	started := time.Now()
	res, err := RunOn(ctx, external.Provider{URL: srv.URL}, failingSuite(t, "abort: {error_rate: 50%, for: 2s}"), false, WithLogf(t.Logf))
	summary := res.Summary
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if took := time.Since(started); took > 15*time.Second {
		t.Errorf("run took %s; the abort should have stopped it within a few seconds of a 30 s scenario", took)
	}
	if got, want := summary.Verdict, loadharness.VerdictFail; got != want {
		t.Errorf("verdict %s, want %s", got, want)
	}
	if got := summary.Aborted; !strings.Contains(got, "first: aborted: error rate > 50% for 2s") {
		t.Errorf("aborted %q, want the abort", got)
	}
	if len(summary.InvalidReasons) != 0 {
		t.Errorf("invalid reasons %q: an abort is the target's failure, not the generator's", summary.InvalidReasons)
	}
	var aborts []loadharness.Event
	for _, ev := range summary.Events {
		if ev.Kind == loadharness.EventAbort {
			aborts = append(aborts, ev)
		}
	}
	if got, want := len(aborts), 1; got != want || aborts[0].Target != "first" {
		t.Errorf("abort events %+v, want one on scenario first", aborts)
	}
	for _, sc := range summary.Scenarios {
		if sc.Name == "second" {
			t.Errorf("scenario second ran after the abort")
		}
	}
	if hits.Load() == 0 {
		t.Error("the target saw no request")
	}
}

func TestRunAbortOffRunsOn(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	s := failingSuite(t, "abort: off")
	s.Scenarios = s.Scenarios[:1]
	s.Scenarios[0].Duration = 4 * time.Second
	res, err := RunOn(context.Background(), external.Provider{URL: srv.URL}, s, false)
	summary := res.Summary
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	for _, ev := range summary.Events {
		if ev.Kind == loadharness.EventAbort {
			t.Errorf("abort event %+v with abort: off", ev)
		}
	}
	if got := len(summary.InvalidReasons); got != 0 {
		t.Errorf("invalid reasons %q, want none", summary.InvalidReasons)
	}
}
