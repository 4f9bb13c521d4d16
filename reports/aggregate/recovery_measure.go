package aggregate

import (
	"cmp"
	"slices"
	"time"

	"loadharness"
)

// Measure answers the event metrics (loadharness.Metric.FromEvents) for a
// scenario, or for the whole run (Scope.Scenario "": the worst time over
// the scenarios, missing when any scenario's is, and the sum of the counts
// that could be measured). ok is false for any other metric, for
// a step, for a scenario it was never told of, and for times it cannot
// measure: recovery_time when the scenario never recovered (or had no
// successful action), reaction_time when no load step was followed by a
// scale-out whose instance served.
func (r *Recovery) Measure(m loadharness.Metric, scope loadharness.Scope) (float64, bool) {
	if !m.FromEvents() || scope.Step != "" {
		return 0, false
	}
	r.mu.Lock()
	names := []string{scope.Scenario}
	if scope.Scenario == "" {
		names = slices.Clone(r.order)
	}
	states := make([]*eventScenario, 0, len(names))
	for _, name := range names {
		if sc := r.scenarios[name]; sc != nil {
			states = append(states, sc.snapshot())
		}
	}
	r.mu.Unlock()
	if len(states) == 0 {
		return 0, false
	}
	// The aggregate is read without r.mu held: it has its own lock.
	total := 0.0
	for i, sc := range states {
		v, scOK := r.measureScenario(m, names[i], sc)
		if !scOK {
			if m.Kind == loadharness.KindLatency || len(states) == 1 {
				return 0, false
			}
			continue
		}
		if m.Kind == loadharness.KindLatency {
			total = max(total, v)
		} else {
			total += v
		}
	}
	return total, true
}

// measureScenario answers m for one scenario's state.
func (r *Recovery) measureScenario(m loadharness.Metric, name string, sc *eventScenario) (float64, bool) {
	switch m.Name {
	case loadharness.MetricScaleEvents:
		return float64(len(sc.scaleDirections())), true
	case loadharness.MetricFlaps:
		return float64(countFlaps(sc.scaleDirections())), true
	case loadharness.MetricScaleErrors:
		return float64(sc.scaleErrors), true
	case loadharness.MetricExcessErrors:
		failed, ok := r.agg.Measure(loadharness.Metric{Name: loadharness.MetricErrors, Kind: loadharness.KindCount},
			loadharness.Scope{Scenario: name})
		if !ok {
			return 0, false
		}
		return max(failed-float64(sc.killInFlight), 0), true
	case loadharness.MetricRecoveryTime:
		return r.recoveryTime(name, sc)
	case loadharness.MetricReactionTime:
		return sc.reactionTime()
	}
	return 0, false
}

// snapshot copies what Measure reads, so the aggregate can be read without
// r.mu held.
func (sc *eventScenario) snapshot() *eventScenario {
	c := *sc
	c.events = slices.Clone(sc.events)
	c.open = nil
	c.firstServed = make(map[string]int64, len(sc.firstServed))
	for k, v := range sc.firstServed {
		c.firstServed[k] = v
	}
	return &c
}

// sortedEvents returns the events by time.
func (sc *eventScenario) sortedEvents() []loadharness.Event {
	out := make([]loadharness.Event, 0, len(sc.events))
	for _, te := range sc.events {
		out = append(out, te.ev)
	}
	slices.SortStableFunc(out, func(a, b loadharness.Event) int { return a.At.Compare(b.At) })
	return out
}

// actions returns the successful actions (no load steps), by time.
func (sc *eventScenario) actions() []trackedEvent {
	var out []trackedEvent
	for _, te := range sc.events {
		if !te.failed && te.ev.Kind != EventLoadStep {
			out = append(out, te)
		}
	}
	slices.SortStableFunc(out, func(a, b trackedEvent) int { return a.ev.At.Compare(b.ev.At) })
	return out
}

// scaleStep is one successful scale action: +1 added, -1 removed.
type scaleStep struct {
	at  time.Time
	dir int
}

// scaleDirections lists the successful add- and remove-instance actions.
func (sc *eventScenario) scaleDirections() []scaleStep {
	var out []scaleStep
	for _, te := range sc.actions() {
		switch te.ev.Kind {
		case EventAddInstance:
			out = append(out, scaleStep{te.ev.At, +1})
		case EventRemoveInstance:
			out = append(out, scaleStep{te.ev.At, -1})
		}
	}
	return out
}

// countFlaps counts the scale actions that undo a reversal within
// FlapWindow: the third of up-down-up or down-up-down. A scale-out for a
// peak and a scale-in after it is one reversal, not a flap.
func countFlaps(steps []scaleStep) int {
	n := 0
	for i := 2; i < len(steps); i++ {
		a, b, c := steps[i-2], steps[i-1], steps[i]
		if a.dir == c.dir && b.dir != c.dir && c.at.Sub(a.at) <= FlapWindow {
			n++
		}
	}
	return n
}

// recoveryTime is the longest recovery over the scenario's successful
// actions: from each action's start to the start of the first second, at or
// after the one the action began in, that begins a run of clean seconds
// (requests, none failed or dropped, p95 within the rule) as long as the rule's
// Stable; 0 when that second started before the action did. It is not
// measured when some action was never recovered from.
func (r *Recovery) recoveryTime(name string, sc *eventScenario) (float64, bool) {
	actions := sc.actions()
	if len(actions) == 0 {
		return 0, false
	}
	secs := r.agg.Seconds(loadharness.Scope{Scenario: name})
	clean := make([]bool, len(secs))
	limitMS := float64(sc.rule.P95) / float64(time.Millisecond)
	for i, s := range secs {
		clean[i] = s.Requests > 0 && s.Failed == 0 && s.Dropped == 0 && s.P95 <= limitMS
	}
	need := sc.rule.stableSeconds()
	start := r.agg.Start()
	worst := time.Duration(0)
	for _, te := range actions {
		// From the action's start, when the signal was sent: the downtime
		// of a restart or a replace is part of what the users lived through.
		at := te.begin
		if at.IsZero() {
			at = te.ev.At
		}
		k := max(int(at.Sub(start)/time.Second), 0)
		found := false
		for run := 0; k < len(clean); k++ {
			if !clean[k] {
				run = 0
				continue
			}
			run++
			if run == need {
				k -= need - 1
				found = true
				break
			}
		}
		if !found {
			return 0, false
		}
		recovered := start.Add(time.Duration(k) * time.Second)
		worst = max(worst, recovered.Sub(at))
	}
	return millis(worst), true
}

// reactionTime is the longest reaction over the load steps followed by a
// scale-out: from the step to the first response served by the instance
// that the first add-instance after the step (and before the next step)
// brought. Not measured when there is none, or when such an instance never
// served.
func (sc *eventScenario) reactionTime() (float64, bool) {
	var steps, adds []trackedEvent
	for _, te := range sc.events {
		switch {
		case te.ev.Kind == EventLoadStep:
			steps = append(steps, te)
		case te.ev.Kind == EventAddInstance && !te.failed:
			adds = append(adds, te)
		}
	}
	byBegin := func(a, b trackedEvent) int { return cmp.Compare(a.begin.UnixNano(), b.begin.UnixNano()) }
	slices.SortStableFunc(steps, byBegin)
	slices.SortStableFunc(adds, byBegin)
	worst, found := time.Duration(0), false
	for i, step := range steps {
		var next time.Time
		if i+1 < len(steps) {
			next = steps[i+1].begin
		}
		for _, add := range adds {
			if add.begin.Before(step.begin) || !next.IsZero() && !add.begin.Before(next) {
				continue
			}
			first, ok := sc.firstServed[add.ev.Target]
			if !ok {
				return 0, false
			}
			worst = max(worst, time.Unix(0, first).Sub(step.begin))
			found = true
			break
		}
	}
	if !found {
		return 0, false
	}
	return millis(worst), true
}
