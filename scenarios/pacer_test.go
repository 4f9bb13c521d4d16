package scenarios

import (
	"context"
	"math"
	"net/http/httptest"
	"testing"
	"time"

	"loadharness/scenarios/suite"
)

// paceFrom returns when the pacer sends hit n if Vegeta asks for it at
// elapsed: elapsed plus the wait, or elapsed itself when the pacer is behind.
func paceFrom(s schedule, elapsed time.Duration, n uint64) (time.Duration, bool) {
	wait, stop := s.pacer.Pace(elapsed, n)
	return elapsed + max(wait, 0), stop
}

func TestDueMatchesThePacers(t *testing.T) {
	tests := []struct {
		name  string
		sched schedule
		// tol is how far Vegeta may send from the exact due time, as a share
		// of the interval: none where both use the same integer arithmetic;
		// Vegeta's linear pacer steps along the tangent of the rate's
		// integral, which misses the exact root by a fraction of a percent.
		tol float64
	}{
		{"constant 150/s", constantSchedule(150), 0},
		{"constant 7/s", constantSchedule(7), 0},
		{"constant 2.5/s", constantSchedule(2.5), 0},
		{"constant 1/h", constantSchedule(1.0 / 3600), 0},
		{"ramp up 50→200 over 30s", linearSchedule(50, 200, 30*time.Second), 0.01},
		{"ramp down 200→10 over 10s", linearSchedule(200, 10, 10*time.Second), 0.01},
		{"flat ramp", linearSchedule(100, 100, 10*time.Second), 0.001},
		{"stages", newSchedule(suite.LoadModel{Kind: suite.Staged, Stages: []suite.Stage{{Rate: 100, Duration: time.Second}, {Rate: 7, Duration: 2 * time.Second}, {Rate: 1000, Duration: time.Second}}}, 4*time.Second), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sched.due(0); tt.sched.due(0) < 0 {
				t.Fatalf("due(0) = %s", got)
			}
			// Vegeta asks for hit n right after sending hit n-1, on time.
			for _, n := range []uint64{1, 2, 3, 10, 99, 100, 101, 500, 1000, 1101, 1500} {
				prev := tt.sched.due(n - 1)
				if prev == time.Duration(math.MaxInt64) {
					continue
				}
				got, stop := paceFrom(tt.sched, prev, n)
				if stop {
					continue
				}
				want := tt.sched.due(n)
				tol := time.Duration(tt.tol * float64(want-prev))
				if diff := got - want; diff < -tol || diff > tol {
					t.Errorf("hit %d: pacer sends at %s, due says %s (diff %s)", n, got, want, diff)
				}
				if want < prev {
					t.Errorf("hit %d due at %s, before hit %d at %s", n, want, n-1, prev)
				}
			}
		})
	}
}

func TestExpectedHits(t *testing.T) {
	tests := []struct {
		name  string
		sched schedule
		d     time.Duration
		want  float64
	}{
		{"constant", constantSchedule(150), 10 * time.Second, 1500},
		{"ramp", linearSchedule(50, 150, 2*time.Second), 2 * time.Second, 200},
		{"half a ramp", linearSchedule(50, 150, 2*time.Second), time.Second, 75},
		{"stages", newSchedule(suite.LoadModel{Kind: suite.Staged, Stages: []suite.Stage{{Rate: 100, Duration: time.Second}, {Rate: 300, Duration: time.Second}}}, 2*time.Second), 2 * time.Second, 400},
		{"into the second stage", newSchedule(suite.LoadModel{Kind: suite.Staged, Stages: []suite.Stage{{Rate: 100, Duration: time.Second}, {Rate: 300, Duration: time.Second}}}, 2*time.Second), 1500 * time.Millisecond, 250},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.sched.expected(tt.d); math.Abs(got-tt.want) > 1e-6*tt.want {
				t.Errorf("expected(%s) = %v, want %v", tt.d, got, tt.want)
			}
		})
	}
}

func TestStepPacer(t *testing.T) {
	p := NewStepPacer([]suite.Stage{{Rate: 10, Duration: time.Second}, {Rate: 100, Duration: time.Second}})
	tests := []struct {
		n    uint64
		want time.Duration
		ok   bool
	}{
		{0, 100 * time.Millisecond, true},
		{8, 900 * time.Millisecond, true},
		{9, time.Second, true},
		{10, time.Second + 10*time.Millisecond, true},
		{108, 1990 * time.Millisecond, true},
		{109, 2 * time.Second, true},
		{110, 0, false},
	}
	for _, tt := range tests {
		got, ok := p.Due(tt.n)
		if ok != tt.ok || (ok && (got-tt.want > time.Microsecond || tt.want-got > time.Microsecond)) {
			t.Errorf("Due(%d) = %s, %v; want %s, %v", tt.n, got, ok, tt.want, tt.ok)
		}
	}
	if _, stop := p.Pace(2*time.Second, 110); !stop {
		t.Error("Pace after the last stage: want stop")
	}
	if wait, _ := p.Pace(0, 0); wait != 100*time.Millisecond {
		t.Errorf("Pace(0, 0) wait %s, want 100ms", wait)
	}
	if wait, _ := p.Pace(time.Second, 0); wait >= 0 {
		t.Errorf("Pace behind schedule waits %s, want at once", wait)
	}
	rates := []struct {
		at   time.Duration
		want float64
	}{{0, 10}, {999 * time.Millisecond, 10}, {time.Second, 100}, {2 * time.Second, 0}}
	for _, r := range rates {
		if got := p.Rate(r.at); got != r.want {
			t.Errorf("Rate(%s) = %v, want %v", r.at, got, r.want)
		}
	}
}

func TestDueQueueRecordsEachHit(t *testing.T) {
	epoch := time.Now()
	s := constantSchedule(100)
	q := newDueQueue(s, epoch, 4)
	for n := range uint64(3) {
		if _, stop := q.Pace(s.due(n)-s.due(0), n); stop {
			t.Fatal("stopped")
		}
	}
	for n := range uint64(3) {
		got, ok := q.pop()
		want := q.began.Add(s.due(n)).Sub(epoch)
		if !ok || got != want {
			t.Errorf("pop %d = %s, %v; want %s", n, got, ok, want)
		}
	}
	if _, ok := q.pop(); ok {
		t.Error("pop on an empty queue: want false")
	}
}

// TestAwaitDueNeverReturnsEarly waits for times past, at hand, within the
// poll and beyond it: awaitDue must never return before the time asked.
func TestAwaitDueNeverReturnsEarly(t *testing.T) {
	for _, wait := range []time.Duration{-time.Millisecond, 0, time.Microsecond, spinWindow / 2, spinWindow + time.Microsecond, 3 * spinWindow, 2 * time.Millisecond} {
		for range 20 {
			due := time.Now().Add(wait)
			awaitDue(due)
			if now := time.Now(); now.Before(due) {
				t.Fatalf("awaitDue(now%+v) returned %s before the time asked", wait, due.Sub(now))
			}
		}
	}
}

// TestOpenModelNeverSendsAHitBeforeItIsDue holds open models paced both
// ways (sendLead early below sharpenMaxRate, when due above it, and a ramp
// across) and checks every request went at or after its due time: a hit
// handed over early must wait, and a request stamped as sent before it
// was due would make the generator look punctual when it was not.
func TestOpenModelNeverSendsAHitBeforeItIsDue(t *testing.T) {
	srv := httptest.NewServer(okHandler)
	defer srv.Close()
	tests := []struct {
		name string
		load suite.LoadModel
	}{
		{"constant below the precise limit", suite.LoadModel{Kind: suite.Constant, Rate: 800}},
		{"constant above it", suite.LoadModel{Kind: suite.Constant, Rate: 3 * sharpenMaxRate}},
		{"ramp across it", suite.LoadModel{Kind: suite.Ramp, From: sharpenMaxRate / 2, To: 2 * sharpenMaxRate}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := &suite.Scenario{Name: "due", Users: 50, Duration: 400 * time.Millisecond, Load: tt.load,
				Steps: []suite.Step{{Name: "get", Method: "GET", Path: "/"}}}
			_, sink := mustRun(t, sc, RunOptions{BaseURL: srv.URL})
			sent := 0
			for _, r := range sink.results {
				if r.Dropped > 0 {
					continue
				}
				sent++
				if r.Sent.Before(r.Intended) {
					t.Fatalf("request %d sent %s before it was due", r.Seq, r.Intended.Sub(r.Sent))
				}
			}
			if sent < 100 {
				t.Errorf("%d requests sent in 400ms, want at least 100 to judge by", sent)
			}
		})
	}
}

// TestAnInterruptedSlowOpenModelEndsAtOnce interrupts an open model at
// 0.1/s after 300ms: its pacer is then waiting for the first hit, due 10s
// after the start, and Vegeta sees its stop only when the pacer returns.
// The run used to end when that hit fell due; at suite.MinRate, an hour
// later. It must end within a few of the pacer's checks, having sent
// nothing.
func TestAnInterruptedSlowOpenModelEndsAtOnce(t *testing.T) {
	srv := httptest.NewServer(okHandler)
	defer srv.Close()
	sc := &suite.Scenario{Name: "slow", Users: 5, Duration: time.Minute,
		Load:  suite.LoadModel{Kind: suite.Constant, Rate: 0.1},
		Steps: []suite.Step{{Name: "get", Method: "GET", Path: "/"}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(300*time.Millisecond, cancel)
	sink := &collected{}
	start := time.Now()
	_, err := Run(ctx, sc, RunOptions{BaseURL: srv.URL, Sink: sink})
	took := time.Since(start)
	if err == nil {
		t.Error("an interrupted run returned no error")
	}
	// The first hit is due 10s after the start: ending well before it
	// means the wait was cut, whatever the machine's load.
	if took >= 5*time.Second {
		t.Errorf("the run ended %v after it started, interrupted at 300ms: the pacer slept on to its first hit", took.Round(time.Millisecond))
	}
	if len(sink.results) > 0 {
		t.Errorf("%d results delivered from an interrupted run", len(sink.results))
	}
}

// TestAnInterruptedSlowSetupEndsAtOnce interrupts a setup ramp of two
// users over 20s, one request every 10s, after 300ms: Vegeta's attack loop
// was then asleep until a setup request was due, and only then saw its
// stop; the run ended 20s after it started.
func TestAnInterruptedSlowSetupEndsAtOnce(t *testing.T) {
	srv := httptest.NewServer(okHandler)
	defer srv.Close()
	sc := &suite.Scenario{Name: "slow-setup", Users: 2, Duration: time.Minute, SetupRamp: 20 * time.Second,
		Setup: []suite.Step{{Name: "login", Method: "GET", Path: "/login"}},
		Steps: []suite.Step{{Name: "get", Method: "GET", Path: "/"}}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := Run(ctx, sc, RunOptions{BaseURL: srv.URL, Sink: &collected{}})
	if took := time.Since(start); took >= 5*time.Second {
		t.Errorf("the run ended %v after it started, interrupted at 300ms in its setup: Vegeta slept on to the first setup request", took.Round(time.Millisecond))
	}
	if err == nil {
		t.Error("an interrupted run returned no error")
	}
}
