package aggregate

import (
	"math"
	"sync"
	"time"

	"loadharness"
)

// Event kinds Recovery tells apart: the domain's action kinds, as an
// Event's Kind carries them, named here once so the switches below read
// plainly.
const (
	EventKillInstance    = string(loadharness.ActionKillInstance)
	EventRestartInstance = string(loadharness.ActionRestartInstance)
	EventReplaceInstance = string(loadharness.ActionReplaceInstance)
	EventAddInstance     = string(loadharness.ActionAddInstance)
	EventRemoveInstance  = string(loadharness.ActionRemoveInstance)
	EventRestartRedis    = string(loadharness.ActionRestartRedis)
	EventLoadStep        = loadharness.EventLoadStep
)

// Fixed windows of the event metrics (docs/events.md says why).
const (
	// DefaultRecoveryP95 is the p95 a scenario must get back under when
	// neither its recovery rule nor a p95 gate says: the seed's 2 seconds.
	DefaultRecoveryP95 = 2 * time.Second
	// DefaultRecoveryStable is how long p95 must stay back under, with no
	// failed request, for the scenario to count as recovered.
	DefaultRecoveryStable = 3 * time.Second
	// ScaleSettle is how long after a scale action its failures still count
	// in scale_errors: the new member's first requests, the drained one's
	// last.
	ScaleSettle = time.Second
	// FlapWindow bounds a flap: a scale action that undoes the reversal
	// before it within this window.
	FlapWindow = time.Minute
)

// maxServedInstances bounds the instances whose first response Recovery
// remembers, like the aggregate's instance table.
const maxServedInstances = 256

// RecoveryRule says when a scenario has recovered from an event: every
// second of Stable in a row had requests, none failed, and their p95 was
// at most P95.
type RecoveryRule struct {
	P95    time.Duration
	Stable time.Duration
}

// RecoveryRuleFor fills rule's zero fields: P95 from the tightest "p95 <"
// or "p95 <=" gate on the whole scenario (no step), else
// DefaultRecoveryP95; Stable from DefaultRecoveryStable.
func RecoveryRuleFor(rule RecoveryRule, gates []loadharness.Gate) RecoveryRule {
	if rule.P95 <= 0 {
		best := math.Inf(1)
		for _, g := range gates {
			if g.Metric.Name == "p95" && g.Step == "" && (g.Op == loadharness.OpLess || g.Op == loadharness.OpLessEqual) {
				best = min(best, g.Threshold)
			}
		}
		rule.P95 = DefaultRecoveryP95
		if !math.IsInf(best, 1) {
			rule.P95 = time.Duration(best * float64(time.Millisecond))
		}
	}
	if rule.Stable <= 0 {
		rule.Stable = DefaultRecoveryStable
	}
	return rule
}

// stableSeconds is how many whole one-second buckets Stable spans.
func (r RecoveryRule) stableSeconds() int {
	return max(int((r.Stable+time.Second-1)/time.Second), 1)
}

// Recovery measures how scenarios ride through their events: it is told of
// every action as it is carried out (Act) and of load steps (Note), sees
// every result (it is a loadharness.Sink), and answers the event metrics
// (loadharness.Metric.FromEvents) from what it saw and from the aggregate's
// one-second buckets. Memory grows with events and instance names, never
// with requests. Its methods are safe for concurrent use.
type Recovery struct {
	agg *Aggregate

	mu        sync.Mutex
	scenarios map[string]*eventScenario
	order     []string
}

var (
	_ loadharness.Sink     = (*Recovery)(nil)
	_ loadharness.Measurer = (*Recovery)(nil)
)

// eventScenario is what Recovery knows of one scenario.
type eventScenario struct {
	rule   RecoveryRule
	events []trackedEvent // in order of completion
	open   []*trackedEvent
	// killInFlight counts failed requests in flight while an instance was
	// being killed; scaleErrors failed requests sent during an add-instance
	// or in flight during a remove-instance, or sent up to ScaleSettle after
	// either.
	killInFlight, scaleErrors uint64
	// firstServed is the earliest end (Unix ns) of a successful response by
	// each instance.
	firstServed map[string]int64
}

// trackedEvent is an event with the time its action began; an open one
// (still being carried out) has a zero ev.At.
type trackedEvent struct {
	begin  time.Time
	ev     loadharness.Event
	failed bool
}

// NewRecovery returns a recorder that reads per-second figures from agg,
// which must see the same results.
func NewRecovery(agg *Aggregate) *Recovery {
	return &Recovery{agg: agg, scenarios: make(map[string]*eventScenario)}
}

// Track starts following scenario with rule (zero fields take their
// defaults; see RecoveryRuleFor). Results of scenarios never tracked,
// acted on or noted are ignored.
func (r *Recovery) Track(scenario string, rule RecoveryRule) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scenarioLocked(scenario).rule = RecoveryRuleFor(rule, nil)
}

// scenarioLocked returns scenario's state, creating it; r.mu is held.
func (r *Recovery) scenarioLocked(name string) *eventScenario {
	sc := r.scenarios[name]
	if sc == nil {
		sc = &eventScenario{rule: RecoveryRuleFor(RecoveryRule{}, nil), firstServed: make(map[string]int64)}
		r.scenarios[name] = sc
		r.order = append(r.order, name)
	}
	return sc
}

// Act carries out do, an action of kind on scenario's stack, and records
// the event it returns. The action counts from the moment Act is called,
// so a request that fails while the action runs is already known to have
// been in flight during it; an event without a time takes the time do
// returned, one without a kind takes kind. A failed action (err != nil) is
// kept but anchors no measurement.
func (r *Recovery) Act(scenario, kind string, do func() (loadharness.Event, error)) (loadharness.Event, error) {
	te := &trackedEvent{begin: time.Now(), ev: loadharness.Event{Kind: kind}}
	r.mu.Lock()
	sc := r.scenarioLocked(scenario)
	sc.open = append(sc.open, te)
	r.mu.Unlock()

	ev, err := do()
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	if ev.Kind == "" {
		ev.Kind = kind
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	for i, o := range sc.open {
		if o == te {
			sc.open = append(sc.open[:i], sc.open[i+1:]...)
			break
		}
	}
	te.ev, te.failed = ev, err != nil
	sc.events = append(sc.events, *te)
	return ev, err
}

// Record records an action carried out from begin until ev.At, for
// actions timed elsewhere and for replays; failed says the action did not
// succeed. Results already added are not looked at again, so an action is
// best recorded (or begun, see Act) before its results arrive.
func (r *Recovery) Record(scenario string, begin time.Time, ev loadharness.Event, failed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sc := r.scenarioLocked(scenario)
	sc.events = append(sc.events, trackedEvent{begin: begin, ev: ev, failed: failed})
}

// Note records an event that took no time to carry out, such as a load
// step (EventLoadStep), at ev.At.
func (r *Recovery) Note(scenario string, ev loadharness.Event) { r.Record(scenario, ev.At, ev, false) }

// Add looks at one result: which instance served it first, and whether it
// failed during a kill or a scale action. It does not keep res.
func (r *Recovery) Add(res *loadharness.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	sc := r.scenarios[res.Scenario]
	if sc == nil {
		return
	}
	end := res.End()
	if !res.Failed() {
		if res.Instance != "" {
			sc.served(res.Instance, end.UnixNano())
		}
		return
	}
	kill, scale := false, false
	check := func(te *trackedEvent) {
		open := te.ev.At.IsZero()
		switch te.ev.Kind {
		case EventKillInstance:
			// In flight during the kill: sent before it was done, answered
			// after it began.
			kill = kill || (open || res.Sent.Before(te.ev.At)) && end.After(te.begin)
		case EventAddInstance:
			// Joining can only touch the requests sent after it began.
			scale = scale || !res.Sent.Before(te.begin) && (open || !res.Sent.After(te.ev.At.Add(ScaleSettle)))
		case EventRemoveInstance:
			// Draining touches the requests in flight on the instance too.
			scale = scale || !end.Before(te.begin) && (open || !res.Sent.After(te.ev.At.Add(ScaleSettle)))
		}
	}
	for i := range sc.events {
		check(&sc.events[i])
	}
	for _, te := range sc.open {
		check(te)
	}
	if kill {
		sc.killInFlight++
	}
	if scale {
		sc.scaleErrors++
	}
}

// served remembers the earliest successful response of instance.
func (sc *eventScenario) served(instance string, endNS int64) {
	first, ok := sc.firstServed[instance]
	switch {
	case ok && endNS < first:
		sc.firstServed[instance] = endNS
	case !ok && len(sc.firstServed) < maxServedInstances:
		sc.firstServed[instance] = endNS
	}
}

// Close does nothing: Recovery buffers nothing and stays readable.
func (r *Recovery) Close() error { return nil }

// Events returns scenario's recorded events in order of time, load steps
// included.
func (r *Recovery) Events(scenario string) []loadharness.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	sc := r.scenarios[scenario]
	if sc == nil {
		return nil
	}
	return sc.sortedEvents()
}
