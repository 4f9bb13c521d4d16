package harness_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness"
	"loadharness/harness/stack"
	"loadharness/harness/stack/external"
	"loadharness/harness/stack/process"
	"loadharness/reports"
	"loadharness/reports/aggregate"
	"loadharness/scenarios/suite"
)

// faultRun runs one short scenario with one fault on the Redis link on a
// process stack, and returns its summary and its per-second figures.
func faultRun(t *testing.T, fault string) (reports.Summary, []aggregate.SecondStats) {
	t.Helper()
	if testing.Short() {
		t.Skip("process stack: skipped in -short mode")
	}
	s, err := suite.Parse("fault.yaml", []byte(`name: fault
stack: {instances: 1, workers: 1, threads: 4, session_store: redis, dataset_store: redis}
scenarios:
  - name: f
    users: 4
    think: 20ms
    duration: 6s
    setup: [login, upload]
    steps: [dataset]
    actions:
      - {at: 1s, do: fault, `+fault+`, for: 2s}
`))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := harness.RunOn(ctx, &process.Provider{TargetBin: targetBin, Dir: out, Logf: t.Logf}, s, false, harness.WithLogf(t.Logf))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res.Summary, res.Aggregate.Seconds(loadharness.Scope{Scenario: "f"})
}

// faultWindow returns the figures of the seconds while the fault was on,
// and of those from a second after it went off.
func faultWindow(t *testing.T, s reports.Summary, secs []aggregate.SecondStats) (during, after aggregate.SecondStats) {
	t.Helper()
	var on, off time.Time
	for _, ev := range s.Events {
		switch ev.Kind {
		case "fault-on":
			on = ev.At
		case "fault-off":
			off = ev.At
		}
	}
	if on.IsZero() || off.IsZero() {
		t.Fatalf("events %+v, want fault-on and fault-off", s.Events)
	}
	for _, sec := range secs {
		switch {
		case !sec.Start.Before(on) && sec.Start.Add(time.Second).Before(off.Add(time.Second)):
			during.Requests += sec.Requests
			during.Failed += sec.Failed
			during.Max = max(during.Max, sec.Max)
		case sec.Start.After(off.Add(time.Second)):
			after.Requests += sec.Requests
			after.Failed += sec.Failed
		}
	}
	return during, after
}

func TestRedisFaults(t *testing.T) {
	tests := []struct {
		fault string
		check func(during, after aggregate.SecondStats) error
	}{
		{"fault: latency, latency: 150ms, jitter: 20ms", func(d, a aggregate.SecondStats) error {
			if d.Max < 130 {
				return fmt.Errorf("slowest request during the fault took %.0fms, want at least the added 150ms ± 20ms", d.Max)
			}
			if d.Failed > 0 {
				return fmt.Errorf("%d requests failed under 150ms of latency, below the target's Redis timeout", d.Failed)
			}
			return nil
		}},
		{"fault: bandwidth, kbps: 1", func(d, a aggregate.SecondStats) error {
			if d.Max < 100 && d.Failed == 0 {
				return fmt.Errorf("a 1 KB/s link changed nothing: slowest %.0fms, no failure", d.Max)
			}
			return nil
		}},
		{"fault: reset_peer, timeout: 0s", func(d, a aggregate.SecondStats) error {
			if d.Failed == 0 {
				return fmt.Errorf("no request failed while every Redis connection was reset (%d requests)", d.Requests)
			}
			return nil
		}},
		{"fault: timeout, timeout: 0s", func(d, a aggregate.SecondStats) error {
			if d.Failed == 0 {
				return fmt.Errorf("no request failed while Redis was silent (%d requests)", d.Requests)
			}
			return nil
		}},
		{"fault: down", func(d, a aggregate.SecondStats) error {
			if d.Failed == 0 {
				return fmt.Errorf("no request failed while Redis was down (%d requests)", d.Requests)
			}
			return nil
		}},
	}
	for _, tt := range tests {
		name, _, _ := strings.Cut(strings.TrimPrefix(tt.fault, "fault: "), ",")
		t.Run(name, func(t *testing.T) {
			s, secs := faultRun(t, tt.fault)
			during, after := faultWindow(t, s, secs)
			t.Logf("during: %d requests, %d failed, slowest %.0fms; after: %d requests, %d failed",
				during.Requests, during.Failed, during.Max, after.Requests, after.Failed)
			if err := tt.check(during, after); err != nil {
				t.Error(err)
			}
			// Every fault ends, and the target recovers without a restart.
			if after.Requests == 0 || after.Failed > 0 {
				t.Errorf("after the fault: %d requests, %d failed; want requests and none failed", after.Requests, after.Failed)
			}
			if sc := scenarioByName(t, s, "f"); sc.SessionsLost > 0 {
				t.Errorf("%d sessions lost through a fault on the link (Redis kept them)", sc.SessionsLost)
			}
		})
	}
}

func TestFaultsNeedTheProcessProvider(t *testing.T) {
	s, err := suite.Load("redis-faults")
	if err != nil {
		t.Fatal(err)
	}
	// Nothing listens there: the refusal comes before any request.
	_, err = harness.RunOn(context.Background(), external.Provider{URL: "http://127.0.0.1:9"}, s, false)
	if !errors.Is(err, stack.ErrNoFaults) {
		t.Fatalf("Run: %v, want ErrNoFaults", err)
	}
}
