package harness

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"loadharness/scenarios/suite"
)

func TestScaleStatePolicy(t *testing.T) {
	policy := suite.Autoscale{Signal: suite.SignalP95, Above: 500, Below: 100, For: 3 * time.Second,
		ScaleInFor: 5 * time.Second, Cooldown: 5 * time.Second, MinInstances: 1, MaxInstances: 3}
	const (
		H = scaleHold
		O = scaleOut
		I = scaleIn
	)
	// A reading of -1 stands for a signal that could not be read.
	tests := []struct {
		name      string
		policy    suite.Autoscale
		instances int
		readings  []float64
		want      []scaleDecision
	}{
		{"a breach as long as the window adds", policy, 1,
			[]float64{600, 600, 600}, []scaleDecision{H, H, O}},
		{"a dip restarts the window", policy, 1,
			[]float64{600, 600, 400, 600, 600, 600}, []scaleDecision{H, H, H, H, H, O}},
		{"the threshold itself is no breach", policy, 1,
			[]float64{500, 500, 500, 500}, []scaleDecision{H, H, H, H}},
		{"an unread signal neither extends nor breaks", policy, 1,
			[]float64{600, -1, 600, -1, 600}, []scaleDecision{H, H, H, H, O}},
		{"no more than max", policy, 3,
			[]float64{600, 600, 600, 600}, []scaleDecision{H, H, H, H}},
		{"below for the longer window removes", policy, 2,
			[]float64{50, 50, 50, 50, 50}, []scaleDecision{H, H, H, H, I}},
		{"no fewer than min", policy, 1,
			[]float64{50, 50, 50, 50, 50, 50}, []scaleDecision{H, H, H, H, H, H}},
		{"between the thresholds holds", policy, 2,
			[]float64{300, 300, 300, 300, 300, 300}, []scaleDecision{H, H, H, H, H, H}},
		{"no scale-in without below", func() suite.Autoscale { p := policy; p.Below = 0; return p }(), 2,
			[]float64{1, 1, 1, 1, 1, 1}, []scaleDecision{H, H, H, H, H, H}},
	}
	start := time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScaleState(tt.policy, tt.instances)
			var got []scaleDecision
			for i, v := range tt.readings {
				got = append(got, s.observe(start.Add(time.Duration(i)*time.Second), v, v >= 0))
			}
			if !equalDecisions(got, tt.want) {
				t.Errorf("decisions = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestScaleStateCooldown(t *testing.T) {
	policy := suite.Autoscale{Signal: suite.SignalQueueDepth, Above: 10, Below: 1, For: time.Second,
		ScaleInFor: 2 * time.Second, Cooldown: 4 * time.Second, MinInstances: 1, MaxInstances: 4}
	s := newScaleState(policy, 1)
	t0 := time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	if got := s.observe(sec(0), 20, true); got != scaleOut {
		t.Fatalf("first breach: %v, want scale out", got)
	}
	s.acted(sec(0), scaleOut, true)
	if got, want := s.instances, 2; got != want {
		t.Errorf("instances = %d, want %d", got, want)
	}
	// Still breaching, but within the cooldown.
	for n := 1; n < 4; n++ {
		if got := s.observe(sec(n), 20, true); got != scaleHold {
			t.Errorf("second %d, in the cooldown: %v, want hold", n, got)
		}
	}
	if got := s.observe(sec(4), 20, true); got != scaleOut {
		t.Errorf("after the cooldown: %v, want scale out", got)
	}
	// A failed action changes no count but still cools down.
	s.acted(sec(4), scaleOut, false)
	if got, want := s.instances, 2; got != want {
		t.Errorf("instances after a failed action = %d, want %d", got, want)
	}
	if got := s.observe(sec(5), 20, true); got != scaleHold {
		t.Errorf("after a failed action: %v, want hold (cooldown)", got)
	}
}

func TestScaleStateReason(t *testing.T) {
	s := newScaleState(suite.Autoscale{Signal: suite.SignalP95, Above: 500, Below: 100, For: 3 * time.Second, ScaleInFor: 5 * time.Second}, 1)
	if got, want := s.reason(scaleOut, 812.4), "autoscale: p95 812ms > 500ms for 3s"; got != want {
		t.Errorf("reason = %q, want %q", got, want)
	}
	if got := s.reason(scaleIn, 40); !strings.Contains(got, "40ms < 100ms for 5s") {
		t.Errorf("reason = %q, want the scale-in threshold", got)
	}
}

func equalDecisions(a, b []scaleDecision) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func (d scaleDecision) String() string {
	switch d {
	case scaleOut:
		return "out"
	case scaleIn:
		return "in"
	}
	return "hold"
}

// fakeInstant answers Instant with values or an error.
type fakeInstant struct {
	values []float64
	err    error
}

func (f fakeInstant) Instant(context.Context, string, time.Time) ([]float64, error) {
	return f.values, f.err
}

func TestPromQLSignalReadsTheLargestSeries(t *testing.T) {
	tests := []struct {
		name string
		prom instantQuerier
		want float64
		ok   bool
	}{
		{"one series", fakeInstant{values: []float64{0.42}}, 0.42, true},
		{"the hottest of several", fakeInstant{values: []float64{0.2, 0.9, 0.5}}, 0.9, true},
		{"NaN left out", fakeInstant{values: []float64{math.NaN(), 0.3}}, 0.3, true},
		{"nothing matched", fakeInstant{}, 0, false},
		{"only NaN", fakeInstant{values: []float64{math.NaN()}}, 0, false},
		{"query failed", fakeInstant{values: []float64{1}, err: errors.New("503")}, 0, false},
		{"no Prometheus", nil, 0, false},
	}
	for _, tt := range tests {
		got, ok := promQLSignal(tt.prom, "q").read(context.Background())
		if got != tt.want || ok != tt.ok {
			t.Errorf("%s: read = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
