package aggregate

import (
	"time"

	"loadharness"
)

// PercentilePoint is one point of an HDR percentile plot: Percentile of the
// requests (0..100) took at most LatencyMS.
type PercentilePoint struct {
	Percentile float64
	LatencyMS  float64
}

// percentileTicks is how many points the distribution gets per halving of
// the distance to 100%: 5 gives about 5 points between 90% and 95%, 5 more
// up to 97.5%, and so on, the classic HDR percentile spectrum.
const percentileTicks = 5

// Percentiles returns the corrected latency distribution of scope as an HDR
// percentile spectrum, from 0% to 100%, with points denser toward the tail;
// nil when the scope saw no request. Values are clamped to the exact
// minimum and maximum, so the last point is the largest latency seen.
func (a *Aggregate) Percentiles(scope loadharness.Scope) []PercentilePoint {
	if b := a.phaseOf(scope.Phase, false); b != a {
		if b == nil {
			return nil
		}
		return b.Percentiles(scope)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.lookup(scope, noSeconds)
	if s == nil || s.corrected.hist.TotalCount() == 0 {
		return nil
	}
	l := &s.corrected
	brackets := l.hist.CumulativeDistributionWithTicks(percentileTicks)
	out := make([]PercentilePoint, 0, len(brackets))
	for _, b := range brackets {
		d := time.Duration(b.ValueAt) * time.Microsecond
		out = append(out, PercentilePoint{
			Percentile: b.Quantile,
			LatencyMS:  millis(min(max(d, l.min), l.max)),
		})
	}
	return out
}

// VisitSecondLatencies calls fn for every populated latency bucket of every
// second of scope, seconds in order: second counts from the aggregate's
// start, valueUS is the bucket's lowest latency in microseconds (2
// significant digits), count how many requests of that second fell in it.
// raw selects the raw latency instead of the corrected one. It lets a caller
// resample the run second by second without a slice of every result. fn runs
// with the aggregate locked and must not call its methods.
func (a *Aggregate) VisitSecondLatencies(scope loadharness.Scope, raw bool, fn func(second int, valueUS, count int64)) {
	if b := a.phaseOf(scope.Phase, false); b != a {
		if b != nil {
			b.VisitSecondLatencies(scope, raw, fn)
		}
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.lookup(scope, secondLatencies)
	if s == nil {
		return
	}
	for i := range s.seconds {
		h := s.seconds[i].corrected
		if raw {
			h = s.seconds[i].raw
		}
		if h == nil {
			continue
		}
		h.ForEachBucket(func(value, count int64) bool {
			if count > 0 {
				fn(i, value, count)
			}
			return true
		})
	}
}
