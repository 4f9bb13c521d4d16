package capacity

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"loadharness"
)

// fakeTarget judges a load the way a target of known capacity would.
type fakeTarget struct {
	capacity float64 // passes at or below
	// generatorMax, when set, is the most the generator can send: above it
	// every step is invalid.
	generatorMax float64
	// confirmMargin makes the longer confirmation run fail above
	// capacity×(1-confirmMargin): a short step is luckier than a long one.
	confirmMargin float64
	failAfter     int // return an error from this step on (0: never)
	steps         int
}

func (f *fakeTarget) probe(ctx context.Context, load float64, phase string, measure time.Duration) (CurvePoint, error) {
	f.steps++
	if f.failAfter > 0 && f.steps >= f.failAfter {
		return CurvePoint{Verdict: loadharness.VerdictInvalid}, errors.New("stack died")
	}
	limit := f.capacity
	if phase == PhaseConfirm {
		limit *= 1 - f.confirmMargin
	}
	p := CurvePoint{Requests: 100, P95: 10 + 100*math.Max(0, load-limit)}
	switch {
	case f.generatorMax > 0 && load > f.generatorMax:
		p.Verdict = loadharness.VerdictInvalid
	case load <= limit:
		p.Verdict = loadharness.VerdictPass
	default:
		p.Verdict = loadharness.VerdictFail
	}
	return p, nil
}

func TestSearchCapacity(t *testing.T) {
	opts := SearchOptions{Resolution: 0.1}.withDefaults(ByUsers)
	tests := []struct {
		name      string
		target    fakeTarget
		start     float64
		integer   bool
		max       float64
		wantLo    float64 // capacity within [wantLo, wantHi]
		wantHi    float64
		confirmed bool
		limitedBy string
	}{
		{name: "users from below", target: fakeTarget{capacity: 137}, start: 10, integer: true,
			wantLo: 137 * 0.9, wantHi: 137, confirmed: true, limitedBy: LimitGates},
		{name: "users from above", target: fakeTarget{capacity: 37}, start: 400, integer: true,
			wantLo: 37 * 0.9, wantHi: 37, confirmed: true, limitedBy: LimitGates},
		{name: "rate", target: fakeTarget{capacity: 415.5}, start: 150,
			wantLo: 415.5 * 0.9, wantHi: 415.5, confirmed: true, limitedBy: LimitGates},
		{name: "start exactly at capacity", target: fakeTarget{capacity: 100}, start: 100, integer: true,
			wantLo: 90, wantHi: 100, confirmed: true, limitedBy: LimitGates},
		{name: "nothing passes", target: fakeTarget{capacity: 0.5}, start: 50, integer: true,
			wantLo: 0, wantHi: 0, limitedBy: LimitGates},
		{name: "everything passes up to max", target: fakeTarget{capacity: 1e9}, start: 10, integer: true, max: 300,
			wantLo: 300, wantHi: 300, confirmed: true, limitedBy: LimitMax},
		{name: "generator is the limit", target: fakeTarget{capacity: 5000, generatorMax: 300}, start: 100,
			wantLo: 300 * 0.9, wantHi: 300, confirmed: true, limitedBy: LimitGenerator},
		{name: "confirmation steps down", target: fakeTarget{capacity: 200, confirmMargin: 0.08}, start: 50, integer: true,
			wantLo: 200 * 0.8, wantHi: 200 * 0.92, confirmed: true, limitedBy: LimitGates},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := opts
			o.Start = tt.start
			if tt.max > 0 {
				o.Max = tt.max
			}
			target := tt.target
			got, err := searchCapacity(context.Background(), target.probe, o, tt.integer)
			if err != nil {
				t.Fatal(err)
			}
			if got.capacity < tt.wantLo || got.capacity > tt.wantHi {
				t.Errorf("capacity = %g, want within [%g, %g] (curve %+v)", got.capacity, tt.wantLo, tt.wantHi, loads(got.curve))
			}
			if got, want := got.confirmed, tt.confirmed; got != want {
				t.Errorf("confirmed = %v, want %v", got, want)
			}
			if got, want := got.limitedBy, tt.limitedBy; got != want {
				t.Errorf("limited by %q, want %q", got, want)
			}
			if got.firstFail != 0 && got.firstFail <= got.lastPass {
				t.Errorf("bracket [%g, %g] is not ordered", got.lastPass, got.firstFail)
			}
			if n := len(got.curve); n > o.MaxSteps+maxBackoffs+1 {
				t.Errorf("%d steps, more than the bound %d", n, o.MaxSteps+maxBackoffs+1)
			}
			for _, p := range got.curve {
				if tt.integer && p.Load != math.Round(p.Load) {
					t.Errorf("load %g is not a whole number of users", p.Load)
				}
			}
		})
	}
}

func TestSearchCapacityStopsOnError(t *testing.T) {
	target := fakeTarget{capacity: 100, failAfter: 3}
	_, err := searchCapacity(context.Background(), target.probe, SearchOptions{Start: 10}.withDefaults(ByUsers), true)
	if err == nil {
		t.Fatal("searchCapacity returned no error when a step failed to run")
	}
	if got, want := target.steps, 3; got != want {
		t.Errorf("ran %d steps after the error, want it to stop at %d", got, want)
	}
}

func TestRoundLoad(t *testing.T) {
	tests := []struct {
		name    string
		x       float64
		integer bool
		want    float64
	}{
		{"users round", 12.5, true, 13},
		{"users at least one", 0.2, true, 1},
		{"rate three digits", 123.456, false, 123},
		{"rate small", 1.2345, false, 1.23},
		{"rate large", 15678, false, 15700},
		{"rate zero", 0, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := roundLoad(tt.x, tt.integer); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("roundLoad(%g, %v) = %g, want %g", tt.x, tt.integer, got, tt.want)
			}
		})
	}
}

func TestFindKnee(t *testing.T) {
	pt := func(load, p95 float64, v loadharness.Verdict) CurvePoint {
		return CurvePoint{Load: load, P95: p95, Verdict: v, Requests: 10}
	}
	pass, fail, invalid := loadharness.VerdictPass, loadharness.VerdictFail, loadharness.VerdictInvalid
	tests := []struct {
		name  string
		curve []CurvePoint
		want  float64 // 0: no knee
	}{
		{"climb in run order", []CurvePoint{pt(100, 20, pass), pt(200, 30, pass), pt(400, 900, fail), pt(300, 60, pass)}, 300},
		{"noise on a tiny baseline", []CurvePoint{pt(10, 2, pass), pt(20, 5, pass), pt(40, 9, pass)}, 0},
		{"invalid steps ignored", []CurvePoint{pt(10, 5, pass), pt(20, 500, invalid), pt(40, 8, pass)}, 0},
		{"one point", []CurvePoint{pt(10, 5, pass)}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := findKnee(tt.curve)
			got := 0.0
			if k != nil {
				got = k.Load
			}
			if got != tt.want {
				t.Errorf("knee at %g, want %g", got, tt.want)
			}
		})
	}
}

func TestClearlyFailing(t *testing.T) {
	mustGate := func(text string) loadharness.Gate {
		g, err := loadharness.ParseGate(text)
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	tests := []struct {
		gate  string
		value float64
		abort bool
	}{
		{"p95 < 2s", 5000, false},
		{"p95 < 2s", 6001, true},
		{"error_rate < 0.1%", 0.01, false}, // 1%: past the gate, not yet clearly
		{"error_rate < 0.1%", 0.06, true},
		{"error_rate < 10%", 0.29, false},
		{"error_rate < 10%", 0.31, true},
		{"availability >= 99.9%", 0.98, false},
		{"availability >= 99.9%", 0.9, true},
		{"sessions_lost == 0", 0, false},
		{"sessions_lost == 0", 1, true},
		{"checks_failed < 10", 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.gate, func(t *testing.T) {
			got := clearlyFailing(mustGate(tt.gate), tt.value, DefaultAbortFactor) != ""
			if got != tt.abort {
				t.Errorf("clearlyFailing(%s, %g) aborts = %v, want %v", tt.gate, tt.value, got, tt.abort)
			}
		})
	}
}

func loads(curve []CurvePoint) []float64 {
	out := make([]float64, len(curve))
	for i, p := range curve {
		out[i] = p.Load
	}
	return out
}
