package capacity_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/capacity"
	"loadharness/harness/stack"
	"loadharness/harness/stack/external"
	"loadharness/scenarios/suite"
)

// slotServer serves /work with slots concurrent requests of service each;
// up to queue more wait for a slot, and beyond that it answers 503 at once.
// Its capacity is slots/service requests per second by construction; the
// short queue absorbs the generator's jitter (on a shared 2-core machine a
// burst of a few requests is common) without adding capacity.
func slotServer(slots, queue int, service time.Duration) http.Handler {
	sem := make(chan struct{}, slots)
	var waiting atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case sem <- struct{}{}:
		default:
			if waiting.Add(1) > int64(queue) {
				waiting.Add(-1)
				http.Error(w, `{"error":"overloaded"}`, http.StatusServiceUnavailable)
				return
			}
			sem <- struct{}{}
			waiting.Add(-1)
		}
		defer func() { <-sem }()
		time.Sleep(service)
		w.WriteHeader(http.StatusOK)
	})
}

// logWriter sends progress lines to the test log.
type logWriter struct{ tb testing.TB }

func (w logWriter) Write(b []byte) (int, error) { w.tb.Log(string(b)); return len(b), nil }

func TestCapacitySearchFindsKnownCapacity(t *testing.T) {
	if testing.Short() {
		t.Skip("a capacity search takes half a minute: skipped in -short mode")
	}
	const slots, service = 40, 200 * time.Millisecond
	want := float64(slots) / service.Seconds() // 200 requests/s
	srv := httptest.NewServer(slotServer(slots, slots/2, service))
	defer srv.Close()
	s, err := suite.Load("testdata/known.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := capacity.Search(ctx, capacity.Config{
		Suite:    s,
		By:       capacity.ByRate,
		Provider: external.Provider{URL: srv.URL},
		Search: capacity.SearchOptions{
			Start: 100, Resolution: 0.05,
			Warmup: 500 * time.Millisecond, Step: 2 * time.Second, Confirm: 4 * time.Second,
			CoolDown: 300 * time.Millisecond,
		},
		Progress: logWriter{t},
		Logf:     func(string, ...any) {},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("capacity %.1f/s (want %.0f/s), bracket [%g, %g], confirmed %v, %d steps in %.1fs",
		res.Capacity, want, res.LastPass, res.FirstFail, res.Confirmed, len(res.Curve), res.WallSeconds)
	if got := res.Capacity; math.Abs(got-want) > 0.1*want {
		t.Errorf("capacity = %.1f/s, want within 10%% of %.0f/s", got, want)
	}
	if !res.Confirmed {
		t.Errorf("capacity %.1f/s was not confirmed by the longer run", res.Capacity)
	}
	if got, want := res.LimitedBy, capacity.LimitGates; got != want {
		t.Errorf("limited by %q, want %q", got, want)
	}
}

// stuckStack is a stack that will not come down.
type stuckStack struct{ stack.Stack }

func (stuckStack) Close(context.Context) error { return errors.New("instance-2 would not stop") }

// TestASearchSaysWhenItsStackDidNotComeDown: the caller keeps the run's
// crash-recovery record only if it hears of it.
func TestASearchSaysWhenItsStackDidNotComeDown(t *testing.T) {
	srv := httptest.NewServer(slotServer(4, 2, time.Millisecond))
	defer srv.Close()
	s, err := suite.Load("testdata/known.yaml")
	if err != nil {
		t.Fatal(err)
	}
	prov := stack.ProviderFunc(func(ctx context.Context, shape loadharness.StackShape) (stack.Stack, error) {
		st, err := external.Provider{URL: srv.URL}.Start(ctx, shape)
		return stuckStack{st}, err
	})
	// The search is cut short once the stack is up; the teardown still runs.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var heard error
	_, _ = capacity.Search(ctx, capacity.Config{Suite: s, By: capacity.ByRate, Provider: prov,
		ExplicitTarget: true, TeardownFailed: func(err error) { heard = err }})
	if heard == nil || !strings.Contains(heard.Error(), "instance-2 would not stop") {
		t.Errorf("TeardownFailed heard %v, want the stack's Close error", heard)
	}
}
