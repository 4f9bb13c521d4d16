package aggregate

import (
	"sync"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"loadharness"
)

// Tally is what a live exporter reads of one scope every few seconds: its
// running counts, exact latency sums and its corrected latencies counted at
// fixed bounds, without the quantiles, maps and times Snapshot builds.
// Every count only grows while results are added, so each is a counter in
// Prometheus's sense, except SessionsLost (see there).
type Tally struct {
	// Requests, Failed, Dropped and ChecksFailed count as Stats does.
	Requests, Failed, Dropped, ChecksFailed uint64
	// DroppedBeforeStep counts, of a scenario's Dropped, the hits of an
	// open model that fell due and were never sent before a step was
	// picked for them: they are in the scenario's figures and in no step's.
	// It is 0 for any scope but a scenario's.
	DroppedBeforeStep uint64
	// SessionsChecked and SessionsLost count users under the session rule,
	// as Stats does. SessionsLost can fall: a user whose last checked
	// response proved nothing counts as lost until a later one proves its
	// session.
	SessionsChecked, SessionsLost int
	// LatencySum is the exact sum of the corrected latencies (from when each
	// request was due), RawLatencySum of the raw ones (from when it was
	// sent): the time requests spent in flight.
	LatencySum, RawLatencySum time.Duration
	// LatencyAtMost[i] counts the requests whose corrected latency was at
	// most bounds[i], as Tally was asked: cumulative, so it never falls
	// along the bounds. A latency that shares the histogram's bucket with
	// the bound counts below it, so the bound is met within the histogram's
	// precision (0.1%), exactly up to 2ms.
	LatencyAtMost []uint64
}

// tallyScratch holds the packed histograms Tally copies a scope's corrected
// latencies into, one per reader at a time: reused, so that a tally costs a
// scan of the histogram and no allocation once warm.
var tallyScratch = sync.Pool{New: func() any {
	return hdrhistogram.NewPacked(latencyLowestUS, latencyHighestUS, latencyDigits)
}}

// Tally returns the running totals of scope (as Snapshot names scopes)
// and its corrected latencies counted at bounds, which must rise; a scope
// that saw nothing has a zero Tally (with LatencyAtMost all 0). The
// aggregate stays locked while the scope's histogram is copied, a scan of
// its buckets: a live reader that asks every few seconds costs the
// generator's hot path nothing per result.
func (a *Aggregate) Tally(scope loadharness.Scope, bounds []time.Duration) Tally {
	if b := a.phaseOf(scope.Phase, false); b != a {
		if b == nil {
			return Tally{LatencyAtMost: make([]uint64, len(bounds))}
		}
		return b.Tally(scope, bounds)
	}
	t := Tally{LatencyAtMost: make([]uint64, len(bounds))}
	var scratch *hdrhistogram.PackedHistogram
	a.mu.Lock()
	s := a.lookup(scope, noSeconds)
	if s != nil {
		sessions := s.sessions.counts()
		t.Requests, t.Failed, t.Dropped, t.ChecksFailed = s.requests, s.failed, s.dropped, s.checksFailed
		t.SessionsChecked, t.SessionsLost = sessions.checked, sessions.lost
		t.LatencySum, t.RawLatencySum = s.corrected.sum, s.raw.sum
		if scope.Scenario != "" && scope.Step == "" {
			if un := a.scenarios[scope.Scenario].unstepped; un != nil {
				t.DroppedBeforeStep = un.dropped
			}
		}
		if len(bounds) > 0 && s.corrected.hist.TotalCount() > 0 {
			scratch = tallyScratch.Get().(*hdrhistogram.PackedHistogram)
			scratch.Reset()
			scratch.MergeFrom(s.corrected.hist)
		}
	}
	a.mu.Unlock()
	if scratch == nil {
		return t
	}
	defer tallyScratch.Put(scratch)
	// Buckets come in rising order of their lowest value: each counts under
	// the first bound it does not exceed, then the counts are summed up.
	i := 0
	for value, count := range scratch.ForEachBucket {
		for i < len(bounds) && value > micros(bounds[i]) {
			i++
		}
		if i == len(bounds) {
			break
		}
		t.LatencyAtMost[i] += uint64(count)
	}
	for i := 1; i < len(t.LatencyAtMost); i++ {
		t.LatencyAtMost[i] += t.LatencyAtMost[i-1]
	}
	return t
}

// PhaseSteps lists the steps seen in scenario during phase p, in order of
// first sight (Steps lists the main phase's).
func (a *Aggregate) PhaseSteps(scenario string, p loadharness.Phase) []string {
	b := a.phaseOf(p, false)
	if b == nil {
		return nil
	}
	return b.Steps(scenario)
}
