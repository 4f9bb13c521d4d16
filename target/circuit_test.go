package target

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock that moves only when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// countingCounter counts Inc calls.
type countingCounter struct{ n atomic.Int64 }

func (c *countingCounter) Inc() { c.n.Add(1) }

// TestBreaker drives the state machine through scripts of steps, checking
// the state after each. Steps: ok, fail, ignore (a call let through and
// finished at once with that outcome); refused (allow must refuse);
// refuse-no (refuse must let the next call in, without taking the probe);
// hold (a call let through and kept pending); release-ok, release-fail
// (finish the held call); half (half the cool-down passes); wait (the whole
// cool-down passes).
func TestBreaker(t *testing.T) {
	const threshold, coolDown = 3, 10 * time.Second
	cases := []struct {
		name  string
		steps string
		// want is the state after each step.
		want string
		// wantChanges are the transitions onChange heard, in order.
		wantChanges string
		// wantRejected is how many calls were refused.
		wantRejected int64
	}{
		{
			name:  "failures that are not consecutive keep it closed",
			steps: "fail fail ok fail fail ok",
			want:  "closed closed closed closed closed closed",
		},
		{
			name:         "threshold consecutive failures open it",
			steps:        "fail fail fail refused refused",
			want:         "closed closed open open open",
			wantChanges:  "closed>open",
			wantRejected: 2,
		},
		{
			name:         "it stays open until the cool-down has passed",
			steps:        "fail fail fail half refused half ok",
			want:         "closed closed open open open half-open closed",
			wantChanges:  "closed>open open>half-open half-open>closed",
			wantRejected: 1,
		},
		{
			name:        "a good probe after the cool-down closes it",
			steps:       "fail fail fail wait ok ok",
			want:        "closed closed open half-open closed closed",
			wantChanges: "closed>open open>half-open half-open>closed",
		},
		{
			name:         "a failed probe opens it for another cool-down",
			steps:        "fail fail fail wait fail refused wait ok",
			want:         "closed closed open half-open open open half-open closed",
			wantChanges:  "closed>open open>half-open half-open>open open>half-open half-open>closed",
			wantRejected: 1,
		},
		{
			name:         "one probe at a time",
			steps:        "fail fail fail wait hold refused refused release-ok ok",
			want:         "closed closed open half-open half-open half-open half-open closed closed",
			wantChanges:  "closed>open open>half-open half-open>closed",
			wantRejected: 2,
		},
		{
			name:        "a probe whose caller gave up leaves it half-open",
			steps:       "fail fail fail wait ignore ok",
			want:        "closed closed open half-open half-open closed",
			wantChanges: "closed>open open>half-open half-open>closed",
		},
		{
			name:         "a slow call from before the opening cannot close it",
			steps:        "hold fail fail fail release-ok refused",
			want:         "closed closed closed open open open",
			wantChanges:  "closed>open",
			wantRejected: 1,
		},
		{
			name:  "calls whose caller gave up neither count nor reset",
			steps: "fail fail ignore ignore ok fail fail ignore fail",
			want:  "closed closed closed closed closed closed closed closed open",
			// The last fail is the third consecutive one.
			wantChanges: "closed>open",
		},
		{
			name:         "refuse turns requests away only while cooling down",
			steps:        "fail fail fail refused wait refuse-no ok",
			want:         "closed closed open open half-open half-open closed",
			wantChanges:  "closed>open open>half-open half-open>closed",
			wantRejected: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
			rejected := &countingCounter{}
			var changes []string
			b := newBreaker(threshold, coolDown, clock.now, rejected, func(from, to circuitState) {
				changes = append(changes, from.String()+">"+to.String())
			})
			steps, want := strings.Fields(tc.steps), strings.Fields(tc.want)
			if len(steps) != len(want) {
				t.Fatalf("bad case: %d steps, %d states", len(steps), len(want))
			}
			var held *ticket
			for i, step := range steps {
				if err := doStep(b, clock, coolDown, step, &held); err != nil {
					t.Fatalf("step %d %q: %v", i, step, err)
				}
				if got := b.State().String(); got != want[i] {
					t.Fatalf("after step %d %q: state %s, want %s", i, step, got, want[i])
				}
			}
			if got, want := strings.Join(changes, " "), tc.wantChanges; got != want {
				t.Errorf("transitions %q, want %q", got, want)
			}
			if got, want := rejected.n.Load(), tc.wantRejected; got != want {
				t.Errorf("rejections %d, want %d", got, want)
			}
		})
	}
}

// doStep performs one step of a TestBreaker script.
func doStep(b *breaker, clock *fakeClock, coolDown time.Duration, step string, held **ticket) error {
	finish := map[string]outcome{"ok": outcomeSuccess, "fail": outcomeFailure, "ignore": outcomeIgnored}
	switch step {
	case "ok", "fail", "ignore":
		tk, err := b.allow()
		if err != nil {
			return fmt.Errorf("allow: %w", err)
		}
		b.done(tk, finish[step])
	case "refused":
		if _, err := b.allow(); !errors.Is(err, errCircuitOpen) {
			return fmt.Errorf("allow: %v, want errCircuitOpen", err)
		}
	case "refuse-no":
		if b.refuse() {
			return errors.New("refuse: true, want false")
		}
	case "hold":
		tk, err := b.allow()
		if err != nil {
			return fmt.Errorf("allow: %w", err)
		}
		*held = &tk
	case "release-ok", "release-fail":
		if *held == nil {
			return errors.New("nothing held")
		}
		b.done(**held, finish[strings.TrimPrefix(step, "release-")])
		*held = nil
	case "half":
		clock.advance(coolDown / 2)
	case "wait":
		clock.advance(coolDown)
	default:
		return fmt.Errorf("unknown step")
	}
	return nil
}

func TestBreakerCall(t *testing.T) {
	errDown := errors.New("connection refused")
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	cases := []struct {
		name      string
		ctx       context.Context
		opErr     error
		wantState circuitState
	}{
		{"a store error is a failure", context.Background(), errDown, circuitOpen},
		{"success", context.Background(), nil, circuitClosed},
		{"an error after the caller gave up is ignored", canceled, errDown, circuitClosed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := newBreaker(1, time.Minute, nil, nil, nil)
			calls := 0
			err := b.call(tc.ctx, func(context.Context) error { calls++; return tc.opErr })
			if !errors.Is(err, tc.opErr) {
				t.Errorf("call: %v, want %v", err, tc.opErr)
			}
			if got, want := b.State(), tc.wantState; got != want {
				t.Errorf("state %s, want %s", got, want)
			}
			if got, want := calls, 1; got != want {
				t.Errorf("op ran %d times, want %d", got, want)
			}
		})
	}
}

func TestBreakerCallRefusesWithoutRunning(t *testing.T) {
	b := newBreaker(1, time.Minute, nil, nil, nil)
	_ = b.call(context.Background(), func(context.Context) error { return errors.New("down") })
	ran := false
	err := b.call(context.Background(), func(context.Context) error { ran = true; return nil })
	if !errors.Is(err, errCircuitOpen) {
		t.Errorf("call: %v, want errCircuitOpen", err)
	}
	if ran {
		t.Error("op ran through an open circuit")
	}
}

func TestNilBreakerLetsEverythingThrough(t *testing.T) {
	var b *breaker
	errDown := errors.New("down")
	for range 10 {
		if err := b.call(context.Background(), func(context.Context) error { return errDown }); !errors.Is(err, errDown) {
			t.Fatalf("call: %v, want %v", err, errDown)
		}
	}
	if b.refuse() {
		t.Error("refuse: true on a nil breaker")
	}
	if got, want := b.State(), circuitClosed; got != want {
		t.Errorf("state %s, want %s", got, want)
	}
}

// TestBreakerConcurrent hammers one breaker from many goroutines (run with
// -race): whatever the interleaving, a half-open circuit has at most one
// probe out at a time.
func TestBreakerConcurrent(t *testing.T) {
	clock := &fakeClock{t: time.Unix(0, 0)}
	b := newBreaker(2, time.Millisecond, clock.now, nil, nil)
	var out, maxOut, probes atomic.Int64
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				clock.advance(300 * time.Microsecond)
				tk, err := b.allow()
				if err != nil {
					continue
				}
				// Tickets of a half-open generation go to probes only.
				b.mu.Lock()
				probe := b.state == circuitHalfOpen && b.generation == tk.generation
				b.mu.Unlock()
				if probe {
					probes.Add(1)
					n := out.Add(1)
					for m := maxOut.Load(); n > m && !maxOut.CompareAndSwap(m, n); m = maxOut.Load() {
					}
					runtime.Gosched() // a call takes time: let others try meanwhile
				}
				// Runs of failures and of successes, so that the circuit
				// opens and closes however the goroutines are scheduled.
				o := outcomeSuccess
				if (g*7+i)/20%2 == 0 {
					o = outcomeFailure
				}
				if probe {
					out.Add(-1)
				}
				b.done(tk, o)
			}
		}()
	}
	wg.Wait()
	if probes.Load() == 0 {
		t.Fatal("no probe was ever let through: the test did not reach half-open")
	}
	if got, want := maxOut.Load(), int64(1); got > want {
		t.Errorf("%d probes out at once, want at most %d", got, want)
	}
}
