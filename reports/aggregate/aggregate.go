package aggregate

import (
	"slices"
	"sync"
	"time"

	"loadharness"
)

// Aggregate folds a stream of results into bounded memory: per scenario
// step, per scenario and for the whole run it keeps HDR histograms of the
// corrected and the raw latency, counters, the sets of users whose sessions
// were checked and lost, and the same per one-second bucket for charts.
// Memory grows with the run's duration, its scenarios, steps, users and the
// spread of its latencies, never with the number of requests.
//
// Add is called from one goroutine (it is a loadharness.Sink); Measure,
// Snapshot and Seconds may be called from any other goroutine at the same
// time, for live progress. A mutex guards everything; Add allocates nothing
// once every scope, second, latency bucket, status code and user it meets has
// been seen.
type Aggregate struct {
	mu    sync.Mutex
	start time.Time
	// phase is the phase whose results this aggregate folds: the main one,
	// or, for the aggregates in phases, setup or warm-up.
	phase     loadharness.Phase
	phases    map[loadharness.Phase]*Aggregate
	run       *scopeStats
	scenarios map[string]*scenarioStats
	order     []string // scenarios in order of first sight
	instances instanceTable

	// The previous result's scopes: results of one scenario step come in
	// runs, so most Adds skip both map lookups.
	lastScenario string
	lastStep     string
	lastSc       *scenarioStats
	lastSt       *scopeStats
}

var (
	_ loadharness.Sink     = (*Aggregate)(nil)
	_ loadharness.Measurer = (*Aggregate)(nil)
)

// scenarioStats holds one scenario's total and its steps.
type scenarioStats struct {
	total *scopeStats
	steps map[string]*scopeStats
	order []string // steps in order of first sight
}

// New returns an empty aggregate whose one-second buckets count from start,
// the run's start (bucket = floor((Result.Sent - start) / 1s)).
func New(start time.Time) *Aggregate {
	return &Aggregate{
		start:     start,
		run:       newScopeStats(),
		scenarios: make(map[string]*scenarioStats),
		instances: newInstanceTable(),
	}
}

// Start returns the time the one-second buckets count from.
func (a *Aggregate) Start() time.Time { return a.start }

// Add folds r into the step's, the scenario's and the run's figures. It does
// not keep r.
func (a *Aggregate) Add(r *loadharness.Result) {
	if r.Phase != a.phase {
		a.phaseOf(r.Phase, true).Add(r)
		a.addSessionEvidence(r)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.Dropped > 0 {
		a.addDropped(r)
		return
	}
	sc, st := a.scopesOf(r.Scenario, r.Step)
	o := a.observe(r)
	a.run.add(r, &o)
	sc.total.add(r, &o)
	st.add(r, &o)
}

// Close does nothing: an aggregate buffers nothing and stays readable.
func (a *Aggregate) Close() error { return nil }

// addDropped counts a record of dropped hits in the run's and the
// scenario's figures: a hit never sent has no step.
func (a *Aggregate) addDropped(r *loadharness.Result) {
	sc := a.scenarioOf(r.Scenario)
	scopes := []*scopeStats{a.run, sc.total}
	skipped := r.Skipped()
	if skipped {
		// A skipped step is the step's: it says why in the error table.
		_, st := a.scopesOf(r.Scenario, r.Step)
		scopes = append(scopes, st)
	}
	i := secondOf(r.Intended.Sub(a.start))
	for _, s := range scopes {
		s.dropped += uint64(r.Dropped)
		if skipped {
			s.skipped += uint64(r.Dropped)
			s.errors.add(r.Error, uint64(r.Dropped))
		}
		if i >= 0 {
			s.secondAt(i).dropped += uint64(r.Dropped)
		}
	}
}

// addSessionEvidence folds what a setup or warm-up result says about its
// user's session into the main phase's scenario and run figures: a session
// is the user's across the scenario's phases (its data set is usually
// captured in setup), so the session rule must see every phase.
func (a *Aggregate) addSessionEvidence(r *loadharness.Result) {
	if a.phase != loadharness.PhaseMain || (r.Dataset == "" && r.Session == loadharness.SessionUnchecked) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	sent := r.Sent.UnixNano()
	a.run.sessions.add(r, sent)
	a.scenarioOf(r.Scenario).total.sessions.add(r, sent)
}

// scenarioOf returns a scenario's figures, creating them on first sight.
func (a *Aggregate) scenarioOf(scenario string) *scenarioStats {
	sc := a.scenarios[scenario]
	if sc == nil {
		sc = &scenarioStats{total: newScopeStats(), steps: make(map[string]*scopeStats)}
		a.scenarios[scenario] = sc
		a.order = append(a.order, scenario)
	}
	return sc
}

// scopesOf returns the scenario and step figures a result goes to, creating
// them on first sight.
func (a *Aggregate) scopesOf(scenario, step string) (*scenarioStats, *scopeStats) {
	if a.lastSt != nil && scenario == a.lastScenario && step == a.lastStep {
		return a.lastSc, a.lastSt
	}
	sc := a.scenarioOf(scenario)
	st := sc.steps[step]
	if st == nil {
		st = newScopeStats()
		sc.steps[step] = st
		sc.order = append(sc.order, step)
	}
	a.lastScenario, a.lastStep, a.lastSc, a.lastSt = scenario, step, sc, st
	return sc, st
}

// observe works out once what every scope needs of r.
func (a *Aggregate) observe(r *loadharness.Result) observation {
	o := observation{
		corrected: nonNegative(r.CorrectedLatency()),
		raw:       nonNegative(r.Latency),
		sent:      r.Sent.UnixNano(),
		end:       r.End().UnixNano(),
		failed:    r.Failed(),
		second:    secondOf(r.Sent.Sub(a.start)),
		instance:  a.instances.id(r.Instance),
	}
	o.correctedUS = micros(o.corrected)
	o.rawUS = micros(o.raw)
	return o
}

// Scenarios lists the scenarios seen, in order of first sight.
func (a *Aggregate) Scenarios() []string {
	a.mu.Lock()
	names := append([]string(nil), a.order...)
	children := make([]*Aggregate, 0, len(a.phases))
	for _, p := range loadharness.Phases {
		if c := a.phases[p]; c != nil {
			children = append(children, c)
		}
	}
	a.mu.Unlock()
	// A scenario whose users never got past setup is a scenario too.
	for _, c := range children {
		for _, name := range c.Scenarios() {
			if !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	return names
}

// Steps lists the steps seen in scenario, in order of first sight; for ""
// it lists the steps of every scenario.
func (a *Aggregate) Steps(scenario string) []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if scenario != "" {
		if sc := a.scenarios[scenario]; sc != nil {
			return append([]string(nil), sc.order...)
		}
		return nil
	}
	var steps []string
	seen := make(map[string]bool)
	for _, name := range a.order {
		for _, step := range a.scenarios[name].order {
			if !seen[step] {
				seen[step] = true
				steps = append(steps, step)
			}
		}
	}
	return steps
}

// lookup returns the figures of scope, or nil when nothing was seen there.
// A step of the whole run (Scenario "", Step set) is merged on demand from
// the scenarios that have that step: gates and charts ask for it rarely, and
// keeping it would cost every Add a fourth scope. The caller holds a.mu.
func (a *Aggregate) lookup(s loadharness.Scope) *scopeStats {
	a.flush()
	switch {
	case s.Scenario == "" && s.Step == "":
		return a.run
	case s.Scenario == "":
		var merged *scopeStats
		for _, name := range a.order {
			if st := a.scenarios[name].steps[s.Step]; st != nil {
				if merged == nil {
					merged = newScopeStats()
				}
				merged.merge(st, 0, nil)
			}
		}
		return merged
	}
	sc := a.scenarios[s.Scenario]
	if sc == nil {
		return nil
	}
	if s.Step == "" {
		return sc.total
	}
	return sc.steps[s.Step]
}

// flush moves every scope's staged latencies into their seconds, so that
// what a reader sees is complete. The caller holds a.mu.
func (a *Aggregate) flush() {
	a.run.flushStage()
	for _, sc := range a.scenarios {
		sc.total.flushStage()
		for _, st := range sc.steps {
			st.flushStage()
		}
	}
}
