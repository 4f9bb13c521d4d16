package aggregate

import "loadharness"

// A scenario's figures and the run's are not kept as results come: they are
// views, merged from the steps (and the hits dropped before a step) when a
// reader asks, then kept until the next Add. Counters add and sets unite,
// so a view holds what recording every result three times held; only which
// error texts past a scope's cap of maxMessages fall under OtherKey may
// differ. Readers are rare (a gate, a progress line a second, a chart) and
// Adds are every request. A scenario's latency histograms and session book
// are the exceptions, kept as results come (see scenarioStats); the run's
// histograms are merged from the scenarios'.

// viewKey names a merged scope: a scenario (step ""), the run (both ""), or
// a step across every scenario (scenario "").
type viewKey struct{ scenario, step string }

// view is a merged scope and the aggregate's version it was merged at.
type view struct {
	version uint64
	seconds secondsDetail // how much of the one-second buckets was merged
	stats   *scopeStats
}

// secondsDetail says how much of the one-second buckets a reader needs:
// merging their histograms costs most, and only charts read them.
type secondsDetail uint8

const (
	noSeconds       secondsDetail = iota
	secondCounts                  // requests, failures, drops, instances
	secondLatencies               // and the latency histograms
)

// lookup returns the figures of s, or nil when nothing was seen there.
// seconds says how much of the one-second buckets the caller reads. The
// caller holds a.mu and must not change what it gets.
func (a *Aggregate) lookup(s loadharness.Scope, seconds secondsDetail) *scopeStats {
	a.flush()
	if s.Scenario != "" && s.Step != "" {
		if sc := a.scenarios[s.Scenario]; sc != nil {
			return sc.steps[s.Step]
		}
		return nil
	}
	key := viewKey{s.Scenario, s.Step}
	if v := a.views[key]; v != nil && v.version == a.version && v.seconds >= seconds {
		return v.stats
	}
	merged := a.merge(key, seconds)
	if a.views == nil {
		a.views = make(map[viewKey]*view)
	}
	a.views[key] = &view{version: a.version, seconds: seconds, stats: merged}
	return merged
}

// merge builds the view of key; nil when nothing of it was seen. The run's
// view always exists, and a scenario's as soon as the scenario was seen,
// even when only its setup's session evidence came (its users never got
// past setup).
func (a *Aggregate) merge(key viewKey, seconds secondsDetail) *scopeStats {
	if key.scenario == "" && key.step != "" {
		// A step across scenarios: its session book is the union of the
		// steps' own books.
		var merged *scopeStats
		for _, name := range a.order {
			if st := a.scenarios[name].steps[key.step]; st != nil {
				if merged == nil {
					merged = newScopeStats()
				}
				merged.merge(st, 0, nil, seconds)
			}
		}
		return merged
	}
	if key.scenario != "" {
		sc := a.scenarios[key.scenario]
		if sc == nil {
			return nil
		}
		merged := newCountStats()
		merged.corrected, merged.raw, merged.sessions = sc.corrected, sc.raw, sc.sessions
		sc.mergeCountsInto(merged, seconds)
		return merged
	}
	merged := newScopeStats()
	merged.sessions = a.sessions
	for _, name := range a.order {
		sc := a.scenarios[name]
		merged.corrected.merge(&sc.corrected)
		merged.raw.merge(&sc.raw)
		sc.mergeCountsInto(merged, seconds)
	}
	return merged
}

// mergeCountsInto adds the counts of the scenario's steps and of its hits
// dropped before a step to v.
func (sc *scenarioStats) mergeCountsInto(v *scopeStats, seconds secondsDetail) {
	for _, step := range sc.order {
		v.mergeCounts(sc.steps[step], 0, nil, seconds)
	}
	if sc.unstepped != nil {
		v.mergeCounts(sc.unstepped, 0, nil, seconds)
	}
}

// flush moves every scope's staged latencies into their seconds, so that
// what a reader sees is complete. The caller holds a.mu.
func (a *Aggregate) flush() {
	for _, sc := range a.scenarios {
		for _, st := range sc.steps {
			st.flushStage()
		}
	}
}
