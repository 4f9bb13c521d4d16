package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"loadharness"
	"loadharness/scenarios"
)

// ErrNoFaults is returned when a suite has fault actions and the provider
// cannot put a fault proxy on the Redis link.
var ErrNoFaults = errors.New("fault actions need the process provider")

// instanceRedisAddr is the Redis address the instances are given: the fault
// proxy's when there is one.
func (s *processStack) instanceRedisAddr() string {
	if s.faults != nil {
		return s.faults.Addr()
	}
	return s.redis.Addr()
}

// faultStack is a stack that can put faults on its Redis link.
type faultStack interface {
	// SetFault switches a fault on, or off when f.Off.
	SetFault(ctx context.Context, f scenarios.Fault) (loadharness.Event, error)
	// ClearFaults switches every fault off, with an event for each.
	ClearFaults(ctx context.Context) []loadharness.Event
}

// SetFault switches f on or off on the Redis link.
func (s *processStack) SetFault(ctx context.Context, f scenarios.Fault) (loadharness.Event, error) {
	ev := faultEvent(f)
	if s.faults == nil {
		err := errors.New("this stack has no fault proxy (started without fault actions)")
		ev.Detail = "failed: " + err.Error()
		return ev, err
	}
	if err := s.faults.Set(ctx, f); err != nil {
		ev.Detail = "failed: " + err.Error()
		return ev, err
	}
	return ev, nil
}

// ClearFaults switches off every fault still on.
func (s *processStack) ClearFaults(ctx context.Context) []loadharness.Event {
	if s.faults == nil {
		return nil
	}
	kinds, err := s.faults.Clear(ctx)
	var evs []loadharness.Event
	for _, k := range kinds {
		ev := faultEvent(scenarios.Fault{Kind: k, Off: true})
		ev.Detail = "left on at the end of the scenario"
		evs = append(evs, ev)
	}
	if err != nil && len(evs) > 0 {
		evs[len(evs)-1].Detail += "; " + err.Error()
	}
	return evs
}

// faultEvent is the event of a fault switched on or off: kind
// "fault-on"/"fault-off", target "redis", the fault in the detail.
func faultEvent(f scenarios.Fault) loadharness.Event {
	kind := "fault-on"
	if f.Off {
		kind = "fault-off"
	}
	return loadharness.Event{At: time.Now(), Kind: kind, Target: "redis", Detail: f.String()}
}

// suiteHasFaults reports whether any scenario of s has a fault action.
func suiteHasFaults(s *scenarios.Suite) bool {
	for _, sc := range s.Scenarios {
		for _, a := range sc.Actions {
			if a.Do == scenarios.ActionFault {
				return true
			}
		}
	}
	return false
}

// withFaults returns the provider to use for s: a copy of a process
// provider with the fault proxy on when s has fault actions. Other
// providers cannot carry faults out, which is said before anything starts.
func withFaults(p Provider, s *scenarios.Suite) (Provider, error) {
	if !suiteHasFaults(s) {
		return p, nil
	}
	proc, ok := p.(*Processes)
	if !ok {
		return nil, fmt.Errorf("suite %s: %w (the fault proxy sits between the instances and a local Redis)", s.Name, ErrNoFaults)
	}
	cp := *proc
	cp.RedisFaults = true
	return &cp, nil
}

// faultHook carries out fault actions on the stack, recorded like any
// action (so recovery is measured around them), and hands every other
// action to the scenario's own hook; a failed fault is an event with its
// error, never the end of the run.
func faultHook(stack Stack, events *scenarioEvents, logf func(string, ...any)) func(context.Context, scenarios.Action) loadharness.Event {
	return func(ctx context.Context, a scenarios.Action) loadharness.Event {
		if a.Do != scenarios.ActionFault || a.Fault == nil {
			return events.timed(ctx, a)
		}
		f := *a.Fault
		set := func() (loadharness.Event, error) {
			fs, ok := stack.(faultStack)
			if !ok {
				ev := faultEvent(f)
				ev.Detail = "failed: " + ErrNoFaults.Error()
				return ev, ErrNoFaults
			}
			return fs.SetFault(ctx, f)
		}
		var ev loadharness.Event
		var err error
		if f.Off {
			// Recovery (recovery_time) counts from the end of the fault.
			ev, err = events.rec.Act(events.sc.Name, faultEvent(f).Kind, set)
		} else {
			// The start of a fault is drawn but is not an action to recover
			// from: the target cannot recover while the fault lasts, and
			// counting from it would add the fault's length to recovery_time.
			// Record's last argument excludes it from event measures.
			begin := time.Now()
			ev, err = set()
			events.rec.Record(events.sc.Name, begin, ev, true)
		}
		if err != nil {
			logf("fault %s: %v", f, err)
		} else {
			logf("fault %s", f)
		}
		return ev
	}
}

// clearFaults switches off what a scenario left on, so a fault never leaks
// into the next scenario, and records each as an event of the scenario.
func clearFaults(ctx context.Context, stack Stack, events *scenarioEvents) []loadharness.Event {
	fs, ok := stack.(faultStack)
	if !ok {
		return nil
	}
	evs := fs.ClearFaults(ctx)
	for _, ev := range evs {
		events.rec.Note(events.sc.Name, ev)
	}
	return evs
}
