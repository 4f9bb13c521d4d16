package aggregate

import (
	"slices"
	"sync"
	"time"

	"loadharness"
)

// Aggregate folds a stream of results into bounded memory: per scenario
// step it keeps HDR histograms of the corrected and the raw latency,
// counters, the sets of users whose sessions were checked and lost, and the
// same per one-second bucket for charts. A scenario's figures and the run's
// are merged from its steps when someone asks (view.go): every result then
// costs one scope's histograms, not three, on the generator's hot path.
// Only the session books are kept at every level as results come, since the
// session rule follows a user across steps. Memory grows with the run's
// duration, its scenarios, steps, users and the spread of its latencies,
// never with the number of requests.
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
	phase  loadharness.Phase
	phases map[loadharness.Phase]*Aggregate
	// sessions is the run's session book, fed as results come.
	sessions  sessionBook
	scenarios map[string]*scenarioStats
	order     []string // scenarios in order of first sight
	instances instanceTable

	// recent are the scopes of the latest results: a run interleaves the
	// results of a few scenario steps, and comparing names that share
	// their bytes with the suite's is cheaper than hashing them into two
	// maps on every Add.
	recent     [8]recentScope
	nextRecent int

	// version counts changes, so that a merged view (view.go) is rebuilt
	// only when something was added since.
	version uint64
	views   map[viewKey]*view
}

var (
	_ loadharness.Sink     = (*Aggregate)(nil)
	_ loadharness.Measurer = (*Aggregate)(nil)
)

// scenarioStats holds one scenario's steps, its hits dropped before they
// had a step, its session book and its latency histograms. The histograms
// are kept as results come, though a merge of the steps' would hold the
// same: a scenario's figures are read during the run (progress, abort
// checks, capacity probes) and merging histograms costs milliseconds a
// read, while recording into two more costs a few nanoseconds a result.
type scenarioStats struct {
	corrected, raw latencyStats
	steps          map[string]*scopeStats
	order          []string // steps in order of first sight
	// unstepped counts the open model's hits that fell due and were never
	// sent (no step was picked for them); nil until the first.
	unstepped *scopeStats
	sessions  sessionBook
}

// New returns an empty aggregate whose one-second buckets count from start,
// the run's start (bucket = floor((Result.Sent - start) / 1s)).
func New(start time.Time) *Aggregate {
	return &Aggregate{
		start:     start,
		sessions:  newSessionBook(),
		scenarios: make(map[string]*scenarioStats),
		instances: newInstanceTable(),
	}
}

// Start returns the time the one-second buckets count from.
func (a *Aggregate) Start() time.Time { return a.start }

// Add folds r into its step's figures, and into the scenario's and the
// run's session books. It does not keep r.
func (a *Aggregate) Add(r *loadharness.Result) {
	if r.Phase != a.phase {
		a.phaseOf(r.Phase, true).Add(r)
		a.addSessionEvidence(r)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.version++
	if r.Dropped > 0 {
		a.addDropped(r)
		return
	}
	sc, st := a.scopesOf(r.Scenario, r.Step)
	o := a.observe(r)
	st.add(r, &o)
	sc.corrected.record(o.corrected, o.correctedUS)
	sc.raw.record(o.raw, o.rawUS)
	if r.Dataset != "" || r.Session != loadharness.SessionUnchecked {
		sc.sessions.add(r, o.sent)
		a.sessions.add(r, o.sent)
	}
}

// Close does nothing: an aggregate buffers nothing and stays readable.
func (a *Aggregate) Close() error { return nil }

// addDropped counts a record of dropped hits: a hit never sent has no
// step, so it counts in the scenario's unstepped figures, unless a user
// skipped the step (then it is the step's, and says why in its error
// table). The scenario's and the run's views add it up.
func (a *Aggregate) addDropped(r *loadharness.Result) {
	var s *scopeStats
	if r.Skipped() {
		_, s = a.scopesOf(r.Scenario, r.Step)
		s.skipped += uint64(r.Dropped)
		s.errors.add(r.Error, uint64(r.Dropped))
	} else {
		sc := a.scenarioOf(r.Scenario)
		if sc.unstepped == nil {
			sc.unstepped = newScopeStats()
		}
		s = sc.unstepped
	}
	s.dropped += uint64(r.Dropped)
	if i := secondOf(r.Intended.Sub(a.start)); i >= 0 {
		s.secondAt(i).dropped += uint64(r.Dropped)
	}
}

// addSessionEvidence folds what a setup or warm-up result says about its
// user's session into the main phase's scenario and run session books: a
// session is the user's across the scenario's phases (its data set is
// usually captured in setup), so the session rule must see every phase.
func (a *Aggregate) addSessionEvidence(r *loadharness.Result) {
	if a.phase != loadharness.PhaseMain || (r.Dataset == "" && r.Session == loadharness.SessionUnchecked) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.version++
	sent := r.Sent.UnixNano()
	a.sessions.add(r, sent)
	a.scenarioOf(r.Scenario).sessions.add(r, sent)
}

// scenarioOf returns a scenario's figures, creating them on first sight.
func (a *Aggregate) scenarioOf(scenario string) *scenarioStats {
	sc := a.scenarios[scenario]
	if sc == nil {
		sc = &scenarioStats{
			corrected: newLatencyStats(),
			raw:       newLatencyStats(),
			steps:     make(map[string]*scopeStats),
			sessions:  newSessionBook(),
		}
		a.scenarios[scenario] = sc
		a.order = append(a.order, scenario)
	}
	return sc
}

// scopesOf returns the scenario and step figures a result goes to, creating
// them on first sight.
func (a *Aggregate) scopesOf(scenario, step string) (*scenarioStats, *scopeStats) {
	for i := range a.recent {
		if r := &a.recent[i]; r.st != nil && r.scenario == scenario && r.step == step {
			return r.sc, r.st
		}
	}
	sc := a.scenarioOf(scenario)
	st := sc.steps[step]
	if st == nil {
		st = newScopeStats()
		sc.steps[step] = st
		sc.order = append(sc.order, step)
	}
	a.recent[a.nextRecent] = recentScope{scenario, step, sc, st}
	a.nextRecent = (a.nextRecent + 1) % len(a.recent)
	return sc, st
}

// recentScope is one entry of Aggregate.recent.
type recentScope struct {
	scenario, step string
	sc             *scenarioStats
	st             *scopeStats
}

// observe works out once what every scope needs of r, in integer
// nanoseconds: time.Time arithmetic costs several times as much, on every
// result.
func (a *Aggregate) observe(r *loadharness.Result) observation {
	sent := r.Sent.UnixNano()
	raw := nonNegative(r.Latency)
	corrected := raw
	if !r.Intended.IsZero() {
		if early := sent - r.Intended.UnixNano(); early > 0 {
			corrected = nonNegative(time.Duration(early) + r.Latency)
		}
	}
	o := observation{
		corrected: corrected,
		raw:       raw,
		sent:      sent,
		end:       sent + int64(r.Latency),
		failed:    r.Failed(),
		// Sub, not sent-startNS: it saturates for a start or a send time
		// far from now (a zero time), where the difference would wrap.
		second:   secondOf(r.Sent.Sub(a.start)),
		instance: a.instances.id(r.Instance),
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
