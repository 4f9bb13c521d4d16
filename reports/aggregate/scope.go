package aggregate

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"loadharness"
)

// Histogram geometry: microseconds from 1µs to 10 minutes with 3
// significant digits, so every quantile is within 0.1% of the truth.
const (
	latencyLowestUS  = 1
	latencyHighestUS = int64(10 * time.Minute / time.Microsecond)
	latencyDigits    = 3
)

// Caps that keep hostile or noisy streams from growing memory: distinct
// error messages and check failures per scope beyond maxMessages are
// counted under OtherKey.
const maxMessages = 50

// OtherKey collects the error messages, check failures and instances past
// their caps.
const OtherKey = "other"

// observation is what every scope needs of one result, worked out once.
type observation struct {
	corrected, raw     time.Duration
	correctedUS, rawUS int64
	sent, end          int64 // Unix nanoseconds
	failed             bool
	second             int // one-second bucket, or -1 outside the kept range
	instance           int // index in the instance table, or -1 when unnamed
}

// scopeStats are the figures of one scope: a step, a scenario or the run.
type scopeStats struct {
	requests, failed, checksFailed uint64
	// dropped counts hits of an open model that fell due and were never
	// sent: failures that are not requests.
	dropped uint64
	// skipped counts, of dropped, the steps users skipped for want of a
	// variable.
	skipped               uint64
	bytesIn, bytesOut     uint64
	corrected, raw        latencyStats
	codes                 codeCounts
	errors, checkFailures cappedCounter
	sessions              sessionBook
	// failedUsers are the users with a failed request or check here
	// (setup_failed reads the setup phase's); memory grows with users.
	failedUsers        map[uint32]struct{}
	instances          []uint64 // requests by instance index
	seen               bool
	firstSent, lastEnd int64 // Unix nanoseconds
	seconds            []second
	// staged holds the newest second's latencies until they are flushed
	// into seconds.
	staged secondStage
}

func newScopeStats() *scopeStats {
	s := newCountStats()
	s.corrected, s.raw = newLatencyStats(), newLatencyStats()
	return s
}

// newCountStats returns a scope without latency histograms, for a view
// that takes its histograms from elsewhere.
func newCountStats() *scopeStats {
	return &scopeStats{
		sessions:    newSessionBook(),
		failedUsers: make(map[uint32]struct{}),
	}
}

func (s *scopeStats) add(r *loadharness.Result, o *observation) {
	s.requests++
	if o.failed {
		s.failed++
	}
	s.bytesIn += r.BytesIn
	s.bytesOut += r.BytesOut
	s.corrected.record(o.corrected, o.correctedUS)
	s.raw.record(o.raw, o.rawUS)
	s.codes.add(r.Code, 1)
	if r.Error != "" {
		s.errors.add(r.Error, 1)
	}
	if o.failed || r.CheckFailure != "" {
		s.failedUsers[r.User] = struct{}{}
	}
	if r.CheckFailure != "" {
		s.checksFailed++
		s.checkFailures.add(r.CheckFailure, 1)
	}
	s.sessions.add(r, o.sent)
	if o.instance >= 0 {
		s.instances = countAt(s.instances, o.instance, 1)
	}
	if !s.seen || o.sent < s.firstSent {
		s.firstSent = o.sent
	}
	if !s.seen || o.end > s.lastEnd {
		s.lastEnd = o.end
	}
	s.seen = true
	if o.second >= 0 {
		s.secondAt(o.second).count(o)
		s.stage(o)
	}
}

// secondAt returns bucket i, growing the buckets as needed.
func (s *scopeStats) secondAt(i int) *second {
	if i >= len(s.seconds) {
		n := len(s.seconds)
		if i >= cap(s.seconds) {
			grown := make([]second, i+1, max(2*cap(s.seconds), i+1, 64))
			copy(grown, s.seconds)
			s.seconds = grown
		} else {
			s.seconds = s.seconds[:i+1]
			clear(s.seconds[n:])
		}
	}
	return &s.seconds[i]
}

// throughput is requests per second over the scope's window, from the first
// request sent to the last response received; 0 while the window is empty.
func (s *scopeStats) throughput() float64 {
	window := time.Duration(s.lastEnd - s.firstSent).Seconds()
	if !s.seen || window <= 0 {
		return 0
	}
	return float64(s.requests) / window
}

// latencyStats is one latency's histogram plus the exact sum, minimum and
// maximum, so mean, min and max carry no histogram rounding.
type latencyStats struct {
	hist     *hdrhistogram.Histogram
	sum      time.Duration
	min, max time.Duration
}

func newLatencyStats() latencyStats {
	return latencyStats{hist: hdrhistogram.New(latencyLowestUS, latencyHighestUS, latencyDigits)}
}

func (l *latencyStats) record(d time.Duration, us int64) {
	if l.hist.TotalCount() == 0 || d < l.min {
		l.min = d
	}
	if d > l.max {
		l.max = d
	}
	l.sum += d
	// micros clamps into the histogram's range, so this cannot fail.
	_ = l.hist.RecordValue(us)
}

func (l *latencyStats) merge(from *latencyStats) {
	if from.hist.TotalCount() == 0 {
		return
	}
	if l.hist.TotalCount() == 0 || from.min < l.min {
		l.min = from.min
	}
	l.max = max(l.max, from.max)
	l.sum += from.sum
	l.hist.Merge(from.hist)
}

// quantileMS returns quantile q (0..100] in milliseconds. HDR reports the
// top of a bucket, which can overshoot the largest latency seen; clamping to
// the exact min and max keeps p100 == max.
func (l *latencyStats) quantileMS(q float64) float64 {
	if l.hist.TotalCount() == 0 {
		return 0
	}
	d := time.Duration(l.hist.ValueAtQuantile(q)) * time.Microsecond
	return millis(min(max(d, l.min), l.max))
}

// summary returns the latency figures reports print, in milliseconds.
func (l *latencyStats) summary() LatencyStats {
	n := l.hist.TotalCount()
	if n == 0 {
		return LatencyStats{}
	}
	qs := l.hist.ValueAtPercentilesSlice([]float64{50, 90, 95, 99})
	at := func(i int) float64 {
		return millis(min(max(time.Duration(qs[i])*time.Microsecond, l.min), l.max))
	}
	return LatencyStats{
		P50:  at(0),
		P90:  at(1),
		P95:  at(2),
		P99:  at(3),
		Max:  millis(l.max),
		Mean: millis(l.sum) / float64(n),
	}
}

// codeCounts counts responses by status code: an index for the codes HTTP
// defines (and 0, no response), a map for the rest, so that counting costs
// no hashing on every result.
type codeCounts struct {
	common [600]uint64
	other  map[uint16]uint64
}

func (c *codeCounts) add(code uint16, n uint64) {
	if int(code) < len(c.common) {
		c.common[code] += n
		return
	}
	if c.other == nil {
		c.other = make(map[uint16]uint64)
	}
	c.other[code] += n
}

// each calls fn for every code counted, common codes in rising order.
func (c *codeCounts) each(fn func(code uint16, n uint64)) {
	for code, n := range c.common {
		if n != 0 {
			fn(uint16(code), n)
		}
	}
	for code, n := range c.other {
		fn(code, n)
	}
}

// cappedCounter counts by message up to maxMessages distinct keys, then
// under OtherKey: error texts often carry addresses or ids and would
// otherwise grow without bound.
type cappedCounter map[string]uint64

func (c *cappedCounter) add(key string, n uint64) {
	if *c == nil {
		*c = make(cappedCounter)
	}
	if _, ok := (*c)[key]; !ok && key != OtherKey && c.messages() >= maxMessages {
		key = OtherKey
	}
	(*c)[key] += n
}

// messages counts the keys other than OtherKey: merging a capped counter
// may meet its OtherKey before its messages, and that must not take a
// message's place.
func (c cappedCounter) messages() int {
	if _, ok := c[OtherKey]; ok {
		return len(c) - 1
	}
	return len(c)
}

// countAt adds n at index i of counts, growing it as needed.
func countAt(counts []uint64, i int, n uint64) []uint64 {
	if i >= len(counts) {
		counts = append(counts, make([]uint64, i+1-len(counts))...)
	}
	counts[i] += n
	return counts
}

// maxSeconds bounds the one-second buckets: a run is at most hours long,
// and a result stamped days after the start is a clock problem, not a chart.
const maxSeconds = 48 * 60 * 60

// secondOf returns the one-second bucket of a result sent offset after the
// run's start: results sent before the start count in the first bucket,
// results past maxSeconds in none (-1).
func secondOf(offset time.Duration) int {
	if offset < 0 {
		return 0
	}
	i := offset / time.Second
	if i >= maxSeconds {
		return -1
	}
	return int(i)
}

// micros rounds d to whole microseconds inside the histogram's range.
func micros(d time.Duration) int64 {
	us := int64((d + time.Microsecond/2) / time.Microsecond)
	return min(max(us, 0), latencyHighestUS)
}

func nonNegative(d time.Duration) time.Duration { return max(d, 0) }

func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// ratio is n/d, or 0 when d is 0, so that reports never hold NaN (JSON
// cannot encode it).
func ratio(n, d uint64) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}
