package aggregate

import "loadharness"

// The setup and warm-up phases have figures of their own: each is an
// Aggregate of its own with the same start, held by the main one, so that
// the main phase's figures (what gates judge by default, and the headline
// throughput over the main phase's own window) never include a setup login
// or a warm-up request, and every scope question can still name a phase.

// phaseOf returns the aggregate of phase p, creating it when create is set;
// a itself for its own phase, nil when p was never seen.
func (a *Aggregate) phaseOf(p loadharness.Phase, create bool) *Aggregate {
	if p == a.phase {
		return a
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	child := a.phases[p]
	if child == nil && create {
		child = New(a.start)
		child.phase = p
		if a.phases == nil {
			a.phases = make(map[loadharness.Phase]*Aggregate)
		}
		a.phases[p] = child
	}
	return child
}

// setupFailed counts the users of scope whose setup had a failed request
// or check; ok is false when the scope ran neither setup nor load.
func (a *Aggregate) setupFailed(scope loadharness.Scope) (float64, bool) {
	scope.Phase = loadharness.PhaseSetup
	if setup := a.phaseOf(loadharness.PhaseSetup, false); setup != nil {
		setup.mu.Lock()
		s := setup.lookup(scope, noSeconds)
		setup.mu.Unlock()
		if s != nil {
			return float64(len(s.failedUsers)), true
		}
	}
	// No setup ran here: nothing could fail, if the scenario ran at all.
	scope.Phase = a.phase
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.lookup(scope, noSeconds)
	return 0, s != nil && s.requests+s.dropped > 0
}

// phaseAggregates returns the aggregates of the phases other than a's own.
func (a *Aggregate) phaseAggregates() map[loadharness.Phase]*Aggregate {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[loadharness.Phase]*Aggregate, len(a.phases))
	for p, c := range a.phases {
		out[p] = c
	}
	return out
}
