package harness

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/stack"
	"loadharness/reports/aggregate"
	"loadharness/scenarios"
	"loadharness/scenarios/suite"
)

// fakeStack records the actions asked of it and numbers added instances
// after its starting ones.
type fakeStack struct {
	mu        sync.Mutex
	instances int
	calls     []string
	fail      map[string]error // by action kind
}

var _ stack.Stack = (*fakeStack)(nil)

func (f *fakeStack) URL() string { return "http://127.0.0.1:1" }
func (f *fakeStack) Info() stack.Info {
	return stack.Info{Provider: "fake", Shape: loadharness.StackShape{Instances: f.instances, Workers: 1}}
}
func (f *fakeStack) MetricsURLs() []string       { return nil }
func (f *fakeStack) Close(context.Context) error { return nil }

func (f *fakeStack) Act(_ context.Context, kind loadharness.ActionKind, i int) (loadharness.Event, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, fmt.Sprintf("%s %d", kind, i))
	if err := f.fail[string(kind)]; err != nil {
		return loadharness.Event{Kind: string(kind), Detail: err.Error()}, err
	}
	if kind == loadharness.ActionAddInstance {
		f.instances++
		i = f.instances
	}
	return loadharness.Event{Kind: string(kind), Target: fmt.Sprintf("instance-%d", i), At: time.Now()}, nil
}

func (f *fakeStack) actions() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func TestAutoscalerScalesOutAndBackIn(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates a policy once a second for a few seconds")
	}
	st := &fakeStack{instances: 1}
	rec := aggregate.NewRecovery(aggregate.New(time.Now()))
	sc := &suite.Scenario{Name: "s"}
	w := &scenarioEvents{sc: sc, st: st, rec: rec, tap: newLatencyTap(), logf: t.Logf}
	// The signal is high for two readings, then low.
	var mu sync.Mutex
	readings := []float64{900, 900, 10, 10, 10, 10}
	signal := signalFunc(func(context.Context) (float64, bool) {
		mu.Lock()
		defer mu.Unlock()
		if len(readings) == 0 {
			return 10, true
		}
		v := readings[0]
		readings = readings[1:]
		return v, true
	})
	policy := suite.Autoscale{Signal: suite.SignalP95, Above: 500, Below: 100, For: 2 * time.Second,
		ScaleInFor: 2 * time.Second, Cooldown: time.Second, MinInstances: 1, MaxInstances: 2}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w.scaler = startAutoscaler(ctx, policy, 1, signal, w.act, t.Logf)
	deadline := time.Now().Add(10 * time.Second)
	for len(st.actions()) < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	events := w.finish(scenarios.Outcome{})
	if got, want := fmt.Sprint(st.actions()), "[add-instance 0 remove-instance 2]"; got != want {
		t.Fatalf("actions = %s, want %s", got, want)
	}
	if len(events) != 2 || events[0].Detail != "autoscale: p95 900ms > 500ms for 2s" || events[1].Kind != string(loadharness.ActionRemoveInstance) {
		t.Errorf("events = %+v, want the scale-out and the scale-in with their reasons", events)
	}
	scale := loadharness.Metric{Name: loadharness.MetricScaleEvents, Kind: loadharness.KindCount}
	if got, ok := rec.Measure(scale, loadharness.Scope{Scenario: "s"}); !ok || got != 2 {
		t.Errorf("scale_events = %v, %v; want 2", got, ok)
	}
}

func TestLatencyTap(t *testing.T) {
	tap := newLatencyTap()
	add := func(scenario string, ms int) {
		tap.Add(&loadharness.Result{Scenario: scenario, Latency: time.Duration(ms) * time.Millisecond})
	}
	add("s", 5) // not armed yet
	if _, ok := tap.take(); ok {
		t.Fatal("an unarmed tap has a reading")
	}
	tap.arm("s")
	for ms := 1; ms <= 100; ms++ {
		add("s", ms)
		add("other", 10_000)
	}
	got, ok := tap.take()
	if !ok || got != 95 {
		t.Errorf("p95 of 1..100 ms = %v, %v; want 95", got, ok)
	}
	if _, ok := tap.take(); ok {
		t.Error("a reading survived take")
	}
	// Past its capacity the tap samples: memory stays bounded.
	for range 3 * tapSamples {
		add("s", 7)
	}
	if got, want := len(tap.samples), tapSamples; got != want {
		t.Errorf("samples = %d, want %d", got, want)
	}
	if got, ok := tap.take(); !ok || got != 7 {
		t.Errorf("p95 = %v, %v; want 7", got, ok)
	}
}

func TestLoadSteps(t *testing.T) {
	start := time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)
	staged := &suite.Scenario{Load: suite.LoadModel{Kind: suite.Staged, Stages: []suite.Stage{
		{Rate: 10, Duration: 8 * time.Second}, {Rate: 36, Duration: 25 * time.Second}, {Rate: 10, Duration: 20 * time.Second}}}}
	got := loadSteps(staged, start)
	want := []struct {
		offset time.Duration
		detail string
	}{{0, "10/s"}, {8 * time.Second, "36/s"}, {33 * time.Second, "10/s"}}
	if len(got) != len(want) {
		t.Fatalf("steps = %+v, want %d", got, len(want))
	}
	for i, w := range want {
		if got[i].At.Sub(start) != w.offset || got[i].Detail != w.detail || got[i].Kind != aggregate.EventLoadStep {
			t.Errorf("step %d = %+v, want +%s %s", i, got[i], w.offset, w.detail)
		}
	}
	closed := &suite.Scenario{}
	if got := loadSteps(closed, start); len(got) != 1 || !got[0].At.Equal(start) {
		t.Errorf("closed model steps = %+v, want one at the start", got)
	}
}
