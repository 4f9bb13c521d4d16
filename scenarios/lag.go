package scenarios

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// lagHistogram counts an open model's generator lag: from when a hit was
// due (or, when every user was busy then, from when a user came free) to
// when its request was handed to the network. A saturated user pool is the
// target's doing; lag with a free user is the generator's own, and it is
// what says whether a run is invalid. Buckets are powers of two of
// nanoseconds, so a quantile is known to within a factor of two: enough to
// tell a generator that keeps up (microseconds) from one that does not
// (tens of milliseconds). It is safe for concurrent use and never grows.
type lagHistogram struct {
	buckets [64]atomic.Uint64
}

// record counts one lag; negative lags (sent a hair before due) count as 0.
func (h *lagHistogram) record(d time.Duration) {
	h.buckets[bits.Len64(uint64(max(d, 0)))].Add(1)
}

// count returns how many lags were recorded.
func (h *lagHistogram) count() uint64 {
	var n uint64
	for i := range h.buckets {
		n += h.buckets[i].Load()
	}
	return n
}

// quantile returns the upper bound of the bucket holding quantile q (0..1)
// of the recorded lags; 0 when none were.
func (h *lagHistogram) quantile(q float64) time.Duration {
	n := h.count()
	if n == 0 {
		return 0
	}
	rank := uint64(q*float64(n-1)) + 1
	var seen uint64
	for i := range h.buckets {
		seen += h.buckets[i].Load()
		if seen >= rank {
			if i == 0 {
				return 0
			}
			return time.Duration(uint64(1)<<i - 1)
		}
	}
	return time.Duration(1<<63 - 1)
}

// roundLag prints a bucket bound with three significant digits.
func roundLag(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Microsecond)
	default:
		return d
	}
}

// reset forgets every recorded lag.
func (h *lagHistogram) reset() {
	for i := range h.buckets {
		h.buckets[i].Store(0)
	}
}
