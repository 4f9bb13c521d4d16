package aggregate

import (
	"errors"
	"time"
)

// Merge adds other's figures to a, so aggregates of shards combine into the
// run's: histograms merge bucket by bucket, counts add, sets of users
// unite. The result is exactly the aggregate of both streams when both
// share the same start; otherwise other's one-second buckets shift by the
// whole seconds between the starts (and the rest of a second is lost).
// other must not be merging into a at the same time.
func (a *Aggregate) Merge(other *Aggregate) error {
	if other == nil {
		return errors.New("merge aggregate: nil aggregate")
	}
	if other == a {
		return errors.New("merge aggregate: cannot merge an aggregate into itself")
	}
	for p, child := range other.phaseAggregates() {
		if err := a.phaseOf(p, true).Merge(child); err != nil {
			return err
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	other.mu.Lock()
	defer other.mu.Unlock()
	other.flush()

	offset := int(other.start.Sub(a.start).Truncate(time.Second) / time.Second)
	remap := make([]int, len(other.instances.names))
	for i, name := range other.instances.names {
		remap[i] = a.instances.id(name)
	}
	a.version++
	a.sessions.merge(&other.sessions)
	for _, name := range other.order {
		from := other.scenarios[name]
		for _, step := range from.order {
			_, st := a.scopesOf(name, step)
			st.merge(from.steps[step], offset, remap, secondLatencies)
		}
		sc := a.scenarioOf(name)
		if from.unstepped != nil {
			if sc.unstepped == nil {
				sc.unstepped = newScopeStats()
			}
			sc.unstepped.merge(from.unstepped, offset, remap, secondLatencies)
		}
		sc.sessions.merge(&from.sessions)
		sc.corrected.merge(&from.corrected)
		sc.raw.merge(&from.raw)
	}
	return nil
}

// merge adds from's figures and session book to s. Buckets of from move by
// offset seconds, merged as far as seconds says; instance indexes map
// through remap (nil keeps them).
func (s *scopeStats) merge(from *scopeStats, offset int, remap []int, seconds secondsDetail) {
	s.mergeFigures(from, offset, remap, seconds)
	s.sessions.merge(&from.sessions)
}

// mergeFigures adds everything of from but its session book, which a
// scenario's or the run's view takes from their own book.
func (s *scopeStats) mergeFigures(from *scopeStats, offset int, remap []int, seconds secondsDetail) {
	s.corrected.merge(&from.corrected)
	s.raw.merge(&from.raw)
	s.mergeCounts(from, offset, remap, seconds)
}

// mergeCounts adds everything of from but its session book and its latency
// histograms: a scenario's view takes both from the scenario's own.
func (s *scopeStats) mergeCounts(from *scopeStats, offset int, remap []int, seconds secondsDetail) {
	s.requests += from.requests
	s.failed += from.failed
	s.dropped += from.dropped
	s.skipped += from.skipped
	s.checksFailed += from.checksFailed
	s.bytesIn += from.bytesIn
	s.bytesOut += from.bytesOut
	from.codes.each(s.codes.add)
	for msg, n := range from.errors {
		s.errors.add(msg, n)
	}
	for msg, n := range from.checkFailures {
		s.checkFailures.add(msg, n)
	}
	for u := range from.failedUsers {
		s.failedUsers[u] = struct{}{}
	}
	for i, n := range from.instances {
		if n != 0 {
			s.instances = countAt(s.instances, mapIndex(remap, i), n)
		}
	}
	if from.seen {
		if !s.seen || from.firstSent < s.firstSent {
			s.firstSent = from.firstSent
		}
		if !s.seen || from.lastEnd > s.lastEnd {
			s.lastEnd = from.lastEnd
		}
		s.seen = true
	}
	if seconds == noSeconds {
		return
	}
	for i := range from.seconds {
		if from.seconds[i].requests == 0 && from.seconds[i].dropped == 0 {
			continue
		}
		j := i + offset
		if j < 0 {
			j = 0
		}
		if j >= maxSeconds {
			continue
		}
		s.secondAt(j).merge(&from.seconds[i], remap, seconds == secondLatencies)
	}
}
