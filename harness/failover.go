package harness

import (
	"context"
	"time"

	"loadharness"
	"loadharness/harness/stack"
	"loadharness/reports/aggregate"
	"loadharness/scenarios"
	"loadharness/scenarios/suite"
)

// scenarioEvents follows one scenario's events while it runs: it carries
// out the timed actions and the scaling policy's actions on the stack, tells
// the recorder of each as it begins and ends (so a request that fails
// during a kill is known to have been in flight), and after the run notes
// the load steps reaction_time counts from. Run starts one per scenario.
type scenarioEvents struct {
	sc     *suite.Scenario
	st     stack.Stack
	rec    *aggregate.Recovery
	tap    *latencyTap
	logf   func(format string, args ...any)
	scaler *autoscaler // nil without a scaling policy
}

// watchScenario starts following sc: it tells rec the scenario's recovery
// rule (from the scenario's recovery block, else its tightest p95 gate) and
// starts the scaling policy, if any, on its own goroutine. The caller must
// call finish once the scenario has run.
func watchScenario(ctx context.Context, sc *suite.Scenario, st stack.Stack, rec *aggregate.Recovery, tap *latencyTap,
	prom instantQuerier, logf func(string, ...any)) *scenarioEvents {
	gates := make([]loadharness.Gate, len(sc.Gates))
	for i, spec := range sc.Gates {
		gates[i] = spec.Gate
	}
	rule := aggregate.RecoveryRuleFor(aggregate.RecoveryRule{P95: sc.Recovery.P95, Stable: sc.Recovery.For}, gates)
	rec.Track(sc.Name, rule)
	w := &scenarioEvents{sc: sc, st: st, rec: rec, tap: tap, logf: logf}
	if sc.Autoscale != nil {
		signal := newSignal(*sc.Autoscale, sc.Name, st, tap, prom)
		w.scaler = startAutoscaler(ctx, *sc.Autoscale, st.Info().Shape.Instances, signal, w.act, logf)
	}
	return w
}

// timed carries out a timed action of the scenario: the engine's Act hook.
// A failed action is an event with its error, never the end of the run.
func (w *scenarioEvents) timed(ctx context.Context, a suite.Action) loadharness.Event {
	ev, _ := w.act(ctx, a.Do, a.Instance, "")
	return ev
}

// act carries out one action on the stack through the recorder; reason,
// when set, is the event's detail on success (why the policy acted).
func (w *scenarioEvents) act(ctx context.Context, kind loadharness.ActionKind, instance int, reason string) (loadharness.Event, error) {
	return w.rec.Act(w.sc.Name, string(kind), func() (loadharness.Event, error) {
		ev, err := w.st.Act(ctx, kind, instance)
		if err != nil {
			w.logf("%s: action %s: %v", w.sc.Name, kind, err)
			return ev, err
		}
		if reason != "" {
			ev.Detail = reason
		}
		w.logf("%s: action %s %s done %s", w.sc.Name, kind, ev.Target, ev.Detail)
		return ev, nil
	})
}

// finish stops the scaling policy (an action in progress completes first),
// notes the load steps of a policy's scenario, and returns every event of
// the scenario in order of time.
func (w *scenarioEvents) finish(out scenarios.Outcome) []loadharness.Event {
	if w.scaler != nil {
		w.scaler.stop()
		w.tap.arm("")
	}
	if w.needsLoadSteps() && !out.Started.IsZero() {
		for _, ev := range loadSteps(w.sc, out.Started) {
			w.rec.Note(w.sc.Name, ev)
		}
	}
	return w.rec.Events(w.sc.Name)
}

// needsLoadSteps reports whether anything reads the load steps: a scaling
// policy's scenario, or a reaction_time gate. Other scenarios keep their
// event list (and their charts) to the actions.
func (w *scenarioEvents) needsLoadSteps() bool {
	if w.sc.Autoscale != nil {
		return true
	}
	for _, g := range w.sc.Gates {
		if g.Gate.Metric.Name == loadharness.MetricReactionTime {
			return true
		}
	}
	return false
}

// loadSteps are the starts of the scenario's load stages, from the start
// of its measured part: one step at the start for every model, and one at
// each later stage of a staged model.
func loadSteps(sc *suite.Scenario, started time.Time) []loadharness.Event {
	steps := []loadharness.Event{{At: started, Kind: aggregate.EventLoadStep, Detail: sc.Load.String()}}
	if sc.Load.Kind != suite.Staged || len(sc.Load.Stages) == 0 {
		return steps
	}
	steps[0].Detail = sc.Load.Stages[0].Rate.String()
	at := started
	for i, st := range sc.Load.Stages {
		if i > 0 {
			steps = append(steps, loadharness.Event{At: at, Kind: aggregate.EventLoadStep, Detail: st.Rate.String()})
		}
		at = at.Add(st.Duration)
	}
	return steps
}
