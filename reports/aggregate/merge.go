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
	a.run.merge(other.run, offset, remap)
	for _, name := range other.order {
		from := other.scenarios[name]
		for _, step := range from.order {
			_, st := a.scopesOf(name, step)
			st.merge(from.steps[step], offset, remap)
		}
		a.scenarioOf(name).total.merge(from.total, offset, remap)
	}
	return nil
}

// merge adds from's figures to s. Buckets of from move by offset seconds;
// instance indexes map through remap (nil keeps them).
func (s *scopeStats) merge(from *scopeStats, offset int, remap []int) {
	s.requests += from.requests
	s.failed += from.failed
	s.dropped += from.dropped
	s.skipped += from.skipped
	s.checksFailed += from.checksFailed
	s.bytesIn += from.bytesIn
	s.bytesOut += from.bytesOut
	s.corrected.merge(&from.corrected)
	s.raw.merge(&from.raw)
	for code, n := range from.codes {
		s.codes[code] += n
	}
	for msg, n := range from.errors {
		s.errors.add(msg, n)
	}
	for msg, n := range from.checkFailures {
		s.checkFailures.add(msg, n)
	}
	s.sessions.merge(&from.sessions)
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
		s.secondAt(j).merge(&from.seconds[i], remap)
	}
}
