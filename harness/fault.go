package harness

import (
	"context"
	"fmt"
	"time"

	"loadharness"
	"loadharness/harness/stack"
	"loadharness/scenarios/suite"
)

// suiteHasFaults reports whether any scenario of s has a fault action.
func suiteHasFaults(s *suite.Suite) bool {
	for _, sc := range s.Scenarios {
		for _, a := range sc.Actions {
			if a.Do == loadharness.ActionFault {
				return true
			}
		}
	}
	return false
}

// withFaults returns the provider to use for s: one that puts a fault
// proxy on the Redis link when s has fault actions. Providers that cannot
// carry faults out are refused before anything starts.
func withFaults(p stack.Provider, s *suite.Suite) (stack.Provider, error) {
	if !suiteHasFaults(s) {
		return p, nil
	}
	fp, ok := p.(stack.FaultProvider)
	if !ok {
		return nil, fmt.Errorf("suite %s: %w (the fault proxy sits between the instances and a local Redis)", s.Name, stack.ErrNoFaults)
	}
	return fp.WithRedisFaults(), nil
}

// faultHook carries out fault actions on the stack, recorded like any
// action (so recovery is measured around them), and hands every other
// action to the scenario's own hook; a failed fault is an event with its
// error, never the end of the run.
func faultHook(st stack.Stack, events *scenarioEvents, logf func(string, ...any)) func(context.Context, suite.Action) loadharness.Event {
	return func(ctx context.Context, a suite.Action) loadharness.Event {
		if a.Do != loadharness.ActionFault || a.Fault == nil {
			return events.timed(ctx, a)
		}
		f := *a.Fault
		set := func() (loadharness.Event, error) {
			fs, ok := st.(stack.Faulter)
			if !ok {
				ev := stack.FaultEvent(f)
				ev.Detail = "failed: " + stack.ErrNoFaults.Error()
				return ev, stack.ErrNoFaults
			}
			return fs.SetFault(ctx, f)
		}
		var ev loadharness.Event
		var err error
		if f.Off {
			// Recovery (recovery_time) counts from the end of the fault.
			ev, err = events.rec.Act(events.sc.Name, stack.FaultEvent(f).Kind, set)
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
func clearFaults(ctx context.Context, st stack.Stack, events *scenarioEvents) error {
	fs, ok := st.(stack.Faulter)
	if !ok {
		return nil
	}
	evs, err := fs.ClearFaults(ctx)
	for _, ev := range evs {
		events.rec.Note(events.sc.Name, ev)
	}
	return err
}
