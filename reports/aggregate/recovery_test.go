package aggregate_test

import (
	"errors"
	"testing"
	"time"

	"loadharness"
	"loadharness/reports/aggregate"
)

// eventStart is the fixed start of the event tests' runs.
var eventStart = time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)

// at is a time from eventStart, in milliseconds.
func at(ms int) time.Time { return eventStart.Add(time.Duration(ms) * time.Millisecond) }

// eventRun is an aggregate and a recorder fed the same results.
type eventRun struct {
	agg  *aggregate.Aggregate
	rec  *aggregate.Recovery
	sink loadharness.Sinks
}

func newEventRun(rule aggregate.RecoveryRule) *eventRun {
	agg := aggregate.New(eventStart)
	rec := aggregate.NewRecovery(agg)
	rec.Track("s", rule)
	return &eventRun{agg: agg, rec: rec, sink: loadharness.Sinks{agg, rec}}
}

// steady sends a request every 50 ms from fromMS to toMS that took latency
// and was served by instance.
func (e *eventRun) steady(fromMS, toMS int, latency time.Duration, instance string) {
	for t := fromMS; t < toMS; t += 50 {
		e.sink.Add(&loadharness.Result{Scenario: "s", Step: "map", Sent: at(t), Latency: latency, Code: 200, Instance: instance})
	}
}

// fail adds a failed request sent at sentMS and answered at endMS.
func (e *eventRun) fail(sentMS, endMS int) {
	e.sink.Add(&loadharness.Result{Scenario: "s", Step: "map", Sent: at(sentMS),
		Latency: time.Duration(endMS-sentMS) * time.Millisecond, Code: 502})
}

func (e *eventRun) measure(tb testing.TB, name string) (float64, bool) {
	tb.Helper()
	g, err := loadharness.ParseGate(name + " >= 0" + map[bool]string{true: "ms"}[name == "recovery_time" || name == "reaction_time"])
	if err != nil {
		tb.Fatal(err)
	}
	return e.rec.Measure(g.Metric, loadharness.Scope{Scenario: "s"})
}

var fastRule = aggregate.RecoveryRule{P95: 500 * time.Millisecond, Stable: 3 * time.Second}

func TestRecoveryAfterKill(t *testing.T) {
	tests := []struct {
		name string
		// feed sends the results around a kill at 5.5 s.
		feed         func(e *eventRun)
		wantRecovery float64 // ms; -1 for not measured
		wantExcess   float64
	}{
		{
			name: "in-flight failures only",
			feed: func(e *eventRun) {
				e.steady(0, 12000, 50*time.Millisecond, "instance-1")
				e.fail(5450, 5510)
				e.fail(5480, 5502)
			},
			wantRecovery: 505, // from the kill's start at 5.495 s: second 5 failed; 6, 7 and 8 are clean
			wantExcess:   0,
		},
		{
			name: "slow seconds after the kill",
			feed: func(e *eventRun) {
				e.steady(0, 5500, 50*time.Millisecond, "instance-1")
				e.steady(5500, 8000, 900*time.Millisecond, "instance-1")
				e.steady(8000, 12000, 50*time.Millisecond, "instance-1")
			},
			wantRecovery: 2505,
			wantExcess:   0,
		},
		{
			name: "failures sent after the kill are excess",
			feed: func(e *eventRun) {
				e.steady(0, 12000, 50*time.Millisecond, "instance-1")
				e.fail(5490, 5520)
				e.fail(6200, 6201)
				e.fail(6300, 6301)
			},
			wantRecovery: 1505,
			wantExcess:   2,
		},
		{
			name: "failures before the kill are excess",
			feed: func(e *eventRun) {
				e.steady(0, 12000, 50*time.Millisecond, "instance-1")
				e.fail(1000, 1010)
			},
			wantRecovery: 0, // second 5 is clean: the kill disturbed nothing
			wantExcess:   1,
		},
		{
			name: "never recovers",
			feed: func(e *eventRun) {
				e.steady(0, 5500, 50*time.Millisecond, "instance-1")
				e.steady(5500, 12000, 900*time.Millisecond, "instance-1")
			},
			wantRecovery: -1,
		},
		{
			name: "ends before the stable window",
			feed: func(e *eventRun) {
				e.steady(0, 5500, 50*time.Millisecond, "instance-1")
				e.steady(5500, 7000, 900*time.Millisecond, "instance-1")
				e.steady(7000, 9000, 50*time.Millisecond, "instance-1")
			},
			wantRecovery: -1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEventRun(fastRule)
			e.rec.Record("s", at(5495), loadharness.Event{At: at(5500), Kind: aggregate.EventKillInstance, Target: "instance-2"}, false)
			tt.feed(e)
			got, ok := e.measure(t, "recovery_time")
			if tt.wantRecovery < 0 {
				if ok {
					t.Errorf("recovery_time = %v, want not measured", got)
				}
				return
			}
			if !ok || got != tt.wantRecovery {
				t.Errorf("recovery_time = %v, %v; want %v", got, ok, tt.wantRecovery)
			}
			if got, ok := e.measure(t, "excess_errors"); !ok || got != tt.wantExcess {
				t.Errorf("excess_errors = %v, %v; want %v", got, ok, tt.wantExcess)
			}
		})
	}
}

func TestRecoveryIsTheWorstOverActions(t *testing.T) {
	e := newEventRun(fastRule)
	e.rec.Record("s", at(2000), loadharness.Event{At: at(2000), Kind: aggregate.EventRestartInstance}, false)
	e.rec.Record("s", at(9000), loadharness.Event{At: at(9200), Kind: aggregate.EventKillInstance}, false)
	// A failed action anchors nothing, even in a bad patch.
	e.rec.Record("s", at(17000), loadharness.Event{At: at(17000), Kind: aggregate.EventKillInstance}, true)
	e.steady(0, 2000, 50*time.Millisecond, "a")
	e.steady(2000, 3000, 900*time.Millisecond, "a") // 1 s to recover from the restart
	e.steady(3000, 9200, 50*time.Millisecond, "a")
	e.steady(9200, 12000, 900*time.Millisecond, "a") // 3 s from the kill's start (9 s), 2.8 s from its end
	e.steady(12000, 17000, 50*time.Millisecond, "a")
	e.steady(17000, 18000, 900*time.Millisecond, "a")
	e.steady(18000, 22000, 50*time.Millisecond, "a")
	// Recovery counts from when the action began: the 200 ms the kill took
	// are part of the downtime the users lived through.
	if got, ok := e.measure(t, "recovery_time"); !ok || got != 3000 {
		t.Errorf("recovery_time = %v, %v; want 3000", got, ok)
	}
}

func TestRecoveryWithoutActionsIsNotMeasured(t *testing.T) {
	e := newEventRun(fastRule)
	e.rec.Note("s", loadharness.Event{At: at(0), Kind: aggregate.EventLoadStep})
	e.steady(0, 5000, 50*time.Millisecond, "a")
	if got, ok := e.measure(t, "recovery_time"); ok {
		t.Errorf("recovery_time = %v with no action, want not measured", got)
	}
}

func TestReactionTime(t *testing.T) {
	tests := []struct {
		name string
		// events are recorded as (begin, at) pairs in ms.
		adds   [][2]int
		served map[string]int // instance -> first response end, ms
		want   float64        // ms; -1 for not measured
	}{
		{"one scale-out after the second step", [][2]int{{13000, 13300}}, map[string]int{"instance-2": 13400}, 3400},
		{"the first add after each step counts", [][2]int{{4000, 4200}, {6000, 6200}, {13000, 13300}},
			map[string]int{"instance-2": 4250, "instance-3": 6300, "instance-4": 13400}, 4250},
		{"new instance never served", [][2]int{{13000, 13300}}, map[string]int{}, -1},
		{"no scale-out", nil, nil, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEventRun(fastRule)
			e.rec.Note("s", loadharness.Event{At: at(0), Kind: aggregate.EventLoadStep})
			e.rec.Note("s", loadharness.Event{At: at(10000), Kind: aggregate.EventLoadStep})
			for i, a := range tt.adds {
				target := "instance-" + string(rune('2'+i))
				e.rec.Record("s", at(a[0]), loadharness.Event{At: at(a[1]), Kind: aggregate.EventAddInstance, Target: target}, false)
			}
			e.steady(0, 20000, 20*time.Millisecond, "instance-1")
			for name, endMS := range tt.served {
				e.sink.Add(&loadharness.Result{Scenario: "s", Step: "map", Sent: at(endMS - 10), Latency: 10 * time.Millisecond, Code: 200, Instance: name})
				// A later response does not move the first one.
				e.sink.Add(&loadharness.Result{Scenario: "s", Step: "map", Sent: at(endMS + 500), Latency: 10 * time.Millisecond, Code: 200, Instance: name})
			}
			got, ok := e.measure(t, "reaction_time")
			if tt.want < 0 {
				if ok {
					t.Errorf("reaction_time = %v, want not measured", got)
				}
				return
			}
			if !ok || got != tt.want {
				t.Errorf("reaction_time = %v, %v; want %v", got, ok, tt.want)
			}
		})
	}
}

func TestScaleEventsAndFlaps(t *testing.T) {
	const add, remove = aggregate.EventAddInstance, aggregate.EventRemoveInstance
	type act struct {
		kind   string
		atS    int
		failed bool
	}
	tests := []struct {
		name       string
		acts       []act
		wantEvents float64
		wantFlaps  float64
	}{
		{"none", nil, 0, 0},
		{"out then in", []act{{add, 10, false}, {remove, 40, false}}, 2, 0},
		{"out in out", []act{{add, 10, false}, {remove, 20, false}, {add, 30, false}}, 3, 1},
		{"in out in out", []act{{remove, 10, false}, {add, 20, false}, {remove, 30, false}, {add, 40, false}}, 4, 2},
		{"slow cycle is no flap", []act{{add, 10, false}, {remove, 50, false}, {add, 100, false}}, 3, 0},
		{"out out in in", []act{{add, 10, false}, {add, 15, false}, {remove, 30, false}, {remove, 35, false}}, 4, 0},
		{"failed actions do not count", []act{{add, 10, false}, {remove, 20, true}, {add, 30, false}}, 2, 0},
		{"other actions do not count", []act{{add, 10, false}, {aggregate.EventKillInstance, 20, false}, {add, 30, false}}, 2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEventRun(fastRule)
			for _, a := range tt.acts {
				e.rec.Record("s", at(a.atS*1000), loadharness.Event{At: at(a.atS * 1000), Kind: a.kind}, a.failed)
			}
			e.steady(0, 1000, time.Millisecond, "a")
			if got, ok := e.measure(t, "scale_events"); !ok || got != tt.wantEvents {
				t.Errorf("scale_events = %v, %v; want %v", got, ok, tt.wantEvents)
			}
			if got, ok := e.measure(t, "flaps"); !ok || got != tt.wantFlaps {
				t.Errorf("flaps = %v, %v; want %v", got, ok, tt.wantFlaps)
			}
		})
	}
}

func TestScaleErrors(t *testing.T) {
	tests := []struct {
		kind string
		want float64
	}{
		// Draining touches what is in flight on the instance.
		{aggregate.EventRemoveInstance, 3},
		// Joining only what is sent once it began.
		{aggregate.EventAddInstance, 2},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			e := newEventRun(fastRule)
			e.rec.Record("s", at(5000), loadharness.Event{At: at(5300), Kind: tt.kind}, false)
			e.fail(4900, 5001) // in flight when the action began
			e.fail(5200, 5210) // during it
			e.fail(6250, 6260) // within the settle second
			e.fail(6400, 6410) // after it
			e.fail(4000, 4999) // before it
			if got, ok := e.measure(t, "scale_errors"); !ok || got != tt.want {
				t.Errorf("scale_errors = %v, %v; want %v", got, ok, tt.want)
			}
		})
	}
}

func TestActCountsRequestsThatFailWhileItRuns(t *testing.T) {
	agg := aggregate.New(time.Now())
	rec := aggregate.NewRecovery(agg)
	rec.Track("s", aggregate.RecoveryRule{})
	sink := loadharness.Sinks{agg, rec}
	ev, err := rec.Act("s", aggregate.EventKillInstance, func() (loadharness.Event, error) {
		// A request that breaks off while the instance dies arrives before
		// the action has returned its event.
		sink.Add(&loadharness.Result{Scenario: "s", Step: "map", Sent: time.Now().Add(-20 * time.Millisecond),
			Latency: 20 * time.Millisecond, Code: 502})
		return loadharness.Event{Target: "instance-2"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ev.Kind, aggregate.EventKillInstance; got != want {
		t.Errorf("event kind = %q, want %q", got, want)
	}
	if ev.At.IsZero() {
		t.Error("event has no time")
	}
	// One sent after the kill is done is excess.
	sink.Add(&loadharness.Result{Scenario: "s", Step: "map", Sent: time.Now().Add(time.Millisecond), Latency: time.Millisecond, Code: 502})
	m := loadharness.Metric{Name: loadharness.MetricExcessErrors, Kind: loadharness.KindCount}
	if got, ok := rec.Measure(m, loadharness.Scope{Scenario: "s"}); !ok || got != 1 {
		t.Errorf("excess_errors = %v, %v; want 1", got, ok)
	}
	if got := rec.Events("s"); len(got) != 1 || got[0].Target != "instance-2" {
		t.Errorf("Events = %+v, want the kill", got)
	}
}

func TestActKeepsAFailedAction(t *testing.T) {
	rec := aggregate.NewRecovery(aggregate.New(time.Now()))
	boom := errors.New("no instance 9")
	ev, err := rec.Act("s", aggregate.EventKillInstance, func() (loadharness.Event, error) {
		return loadharness.Event{Detail: boom.Error()}, boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
	if got := rec.Events("s"); len(got) != 1 || got[0].Detail != ev.Detail {
		t.Errorf("Events = %+v, want the failed kill", got)
	}
}

func TestRecoveryMeasureScopes(t *testing.T) {
	e := newEventRun(fastRule)
	e.rec.Track("t", fastRule)
	e.rec.Record("s", at(1000), loadharness.Event{At: at(1000), Kind: aggregate.EventAddInstance}, false)
	e.rec.Record("t", at(2000), loadharness.Event{At: at(2000), Kind: aggregate.EventAddInstance}, false)
	scaleEvents := loadharness.Metric{Name: loadharness.MetricScaleEvents, Kind: loadharness.KindCount}
	tests := []struct {
		name   string
		metric loadharness.Metric
		scope  loadharness.Scope
		want   float64
		wantOK bool
	}{
		{"one scenario", scaleEvents, loadharness.Scope{Scenario: "s"}, 1, true},
		{"whole run sums", scaleEvents, loadharness.Scope{}, 2, true},
		{"a step is not measured", scaleEvents, loadharness.Scope{Scenario: "s", Step: "map"}, 0, false},
		{"unknown scenario", scaleEvents, loadharness.Scope{Scenario: "nope"}, 0, false},
		{"result metric", loadharness.Metric{Name: loadharness.MetricErrors, Kind: loadharness.KindCount}, loadharness.Scope{Scenario: "s"}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := e.rec.Measure(tt.metric, tt.scope)
			if ok != tt.wantOK || got != tt.want {
				t.Errorf("Measure = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
	// The aggregate leaves event metrics to the recorder.
	e.steady(0, 1000, time.Millisecond, "a")
	if _, ok := e.agg.Measure(scaleEvents, loadharness.Scope{Scenario: "s"}); ok {
		t.Error("Aggregate.Measure answered scale_events")
	}
}

func TestRecoveryRuleFor(t *testing.T) {
	gates := func(texts ...string) []loadharness.Gate {
		var out []loadharness.Gate
		for _, text := range texts {
			g, err := loadharness.ParseGate(text)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, g)
		}
		return out
	}
	tests := []struct {
		name  string
		rule  aggregate.RecoveryRule
		gates []loadharness.Gate
		want  aggregate.RecoveryRule
	}{
		{"defaults", aggregate.RecoveryRule{}, nil, aggregate.RecoveryRule{P95: 2 * time.Second, Stable: 3 * time.Second}},
		{"tightest p95 gate", aggregate.RecoveryRule{}, gates("p95 < 2s", "p95 <= 800ms", "p99 < 100ms", "p95{step:map} < 10ms", "raw_p95 < 1ms", "p95 > 1ms"),
			aggregate.RecoveryRule{P95: 800 * time.Millisecond, Stable: 3 * time.Second}},
		{"the rule wins", aggregate.RecoveryRule{P95: 300 * time.Millisecond, Stable: 5 * time.Second}, gates("p95 < 2s"),
			aggregate.RecoveryRule{P95: 300 * time.Millisecond, Stable: 5 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := aggregate.RecoveryRuleFor(tt.rule, tt.gates); got != tt.want {
				t.Errorf("RecoveryRuleFor = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func BenchmarkRecoveryAdd(b *testing.B) {
	rec := aggregate.NewRecovery(aggregate.New(eventStart))
	rec.Track("s", aggregate.RecoveryRule{})
	rec.Record("s", at(5000), loadharness.Event{At: at(5010), Kind: aggregate.EventKillInstance}, false)
	rec.Record("s", at(9000), loadharness.Event{At: at(9300), Kind: aggregate.EventAddInstance, Target: "instance-4"}, false)
	ok := loadharness.Result{Scenario: "s", Step: "map", Sent: at(6000), Latency: 5 * time.Millisecond, Code: 200, Instance: "instance-1"}
	failed := ok
	failed.Code, failed.Instance = 502, ""
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i++; i%10 == 0 {
			rec.Add(&failed)
		} else {
			rec.Add(&ok)
		}
	}
}
