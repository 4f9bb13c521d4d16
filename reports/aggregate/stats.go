package aggregate

import (
	"strconv"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"loadharness"
)

// LatencyStats are latency figures in milliseconds. Quantiles come from an
// HDR histogram (within 0.1%); Max and Mean are exact.
type LatencyStats struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// Stats are the figures of one scope at the time of the snapshot.
type Stats struct {
	Requests int
	// Failed counts requests that failed at the transport or HTTP level
	// (loadharness.Result.Failed).
	Failed int
	// Dropped counts hits of an open model that fell due and were never
	// sent. They are no requests, but failures of the service's users.
	Dropped int
	// Skipped counts, of Dropped, the steps users skipped for want of a
	// variable an earlier step should have extracted.
	Skipped int
	// SuccessRatio is (Requests-Failed)/(Requests+Dropped), 0 with neither.
	SuccessRatio float64
	// Throughput is requests per second from the first request sent to the
	// last response received in the scope.
	Throughput float64
	// Latency is corrected for coordinated omission (from Intended);
	// RawLatency runs from Sent.
	Latency    LatencyStats
	RawLatency LatencyStats
	// SessionsChecked, SessionsLost, SessionsVerified and
	// SessionsUnverified count distinct users under the session rule
	// (docs/sessions.md): checked users had a response that spoke about
	// their session; verified ones were proven and not lost; unverified ones
	// captured a data set that nothing proved or disproved.
	SessionsChecked    int
	SessionsLost       int
	SessionsVerified   int
	SessionsUnverified int
	ChecksFailed       int
	BytesIn            int
	BytesOut           int
	// Codes counts responses by status code, "0" for no response.
	Codes map[string]int
	// Errors counts failures by message, CheckFailures failed checks by
	// description; both keep 50 distinct texts, then count under OtherKey.
	Errors        map[string]int
	CheckFailures map[string]int
	// Instances counts requests by the instance that served them (first 64
	// names, then OtherKey); requests whose instance is unknown are left out.
	Instances map[string]int
	// First is when the first request was sent, Last when the last response
	// arrived.
	First, Last time.Time
}

// CodeClasses counts responses by status class: "2xx", "5xx", and "0xx"
// for requests that got no response.
func (s Stats) CodeClasses() map[string]int {
	classes := make(map[string]int)
	for code, n := range s.Codes {
		c, err := strconv.Atoi(code)
		if err != nil {
			continue
		}
		classes[strconv.Itoa(c/100)+"xx"] += n
	}
	return classes
}

// SecondStats are one scope's figures for one second of the run, for charts.
type SecondStats struct {
	// Second counts from the aggregate's start; Start is its wall time.
	Second int
	Start  time.Time
	// Requests and Failed count requests sent in this second; Dropped
	// the hits that fell due in it and were never sent.
	Requests int
	Failed   int
	Dropped  int
	// InFlight is the mean number of requests in flight over the second:
	// the raw latencies of its requests summed, over one second (Little's
	// law, each request counted in the second it was sent). In a closed
	// model it is the users not thinking; in an open one, what the target
	// holds.
	InFlight float64
	// P50, P95, P99 and Max are corrected latencies in milliseconds, RawP*
	// raw ones; all 0 in a second without requests.
	P50, P95, P99, Max     float64
	RawP50, RawP95, RawP99 float64
	// Instances counts requests by the instance that served them.
	Instances map[string]int
}

// ActiveWindow returns the first and last of seconds that saw a request,
// or -1, -1 when none did.
func ActiveWindow(seconds []SecondStats) (first, last int) {
	first, last = -1, -1
	for i, s := range seconds {
		if s.Requests > 0 {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	return first, last
}

// Snapshot returns the figures of scope; a scope that saw nothing has zero
// figures. Scope{} is the whole run, Scope{Scenario: s} one scenario, and
// Scope{Step: x} step x across every scenario.
func (a *Aggregate) Snapshot(scope loadharness.Scope) Stats {
	if b := a.phaseOf(scope.Phase, false); b != a {
		if b == nil {
			return Stats{}
		}
		return b.Snapshot(scope)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.lookup(scope, noSeconds)
	if s == nil {
		s = newScopeStats()
	}
	sessions := s.sessions.counts()
	st := Stats{
		Requests:           int(s.requests),
		Failed:             int(s.failed),
		Dropped:            int(s.dropped),
		Skipped:            int(s.skipped),
		SuccessRatio:       ratio(s.requests-s.failed, s.requests+s.dropped),
		Throughput:         s.throughput(),
		Latency:            s.corrected.summary(),
		RawLatency:         s.raw.summary(),
		SessionsChecked:    sessions.checked,
		SessionsLost:       sessions.lost,
		SessionsVerified:   sessions.verified,
		SessionsUnverified: sessions.unverified,
		ChecksFailed:       int(s.checksFailed),
		BytesIn:            int(s.bytesIn),
		BytesOut:           int(s.bytesOut),
		Codes:              make(map[string]int),
		Errors:             toInts(s.errors),
		CheckFailures:      toInts(s.checkFailures),
		Instances:          a.instances.counts(s.instances),
	}
	s.codes.each(func(code uint16, n uint64) {
		st.Codes[strconv.Itoa(int(code))] = int(n)
	})
	if s.seen {
		st.First, st.Last = time.Unix(0, s.firstSent).UTC(), time.Unix(0, s.lastEnd).UTC()
	}
	return st
}

// Seconds returns scope's figures second by second, from the start to the
// last second that saw a request, empty seconds included so charts show
// gaps.
func (a *Aggregate) Seconds(scope loadharness.Scope) []SecondStats {
	return a.seconds(scope, secondLatencies)
}

// SecondCounts is Seconds without the latencies (they are 0): what a
// check that runs during the run reads twice a second, at a fraction of
// the cost, since a scenario's latencies per second are merged from its
// steps'.
func (a *Aggregate) SecondCounts(scope loadharness.Scope) []SecondStats {
	return a.seconds(scope, secondCounts)
}

func (a *Aggregate) seconds(scope loadharness.Scope, detail secondsDetail) []SecondStats {
	if b := a.phaseOf(scope.Phase, false); b != a {
		if b == nil {
			return nil
		}
		return b.seconds(scope, detail)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.lookup(scope, detail)
	if s == nil {
		return nil
	}
	out := make([]SecondStats, len(s.seconds))
	for i := range s.seconds {
		sec := &s.seconds[i]
		out[i] = SecondStats{
			Second:    i,
			Start:     a.start.Add(time.Duration(i) * time.Second),
			Requests:  int(sec.requests),
			Failed:    int(sec.failed),
			Dropped:   int(sec.dropped),
			InFlight:  float64(sec.held) / float64(time.Second),
			Instances: a.instances.counts(sec.instances),
		}
		if detail < secondLatencies || sec.corrected == nil {
			continue
		}
		c := packedQuantilesMS(sec.corrected)
		r := packedQuantilesMS(sec.raw)
		out[i].P50, out[i].P95, out[i].P99 = c[0], c[1], c[2]
		out[i].RawP50, out[i].RawP95, out[i].RawP99 = r[0], r[1], r[2]
		out[i].Max = float64(sec.corrected.Max()) / 1e3
	}
	return out
}

// packedQuantilesMS returns p50, p95 and p99 of h in milliseconds.
func packedQuantilesMS(h *hdrhistogram.PackedHistogram) [3]float64 {
	v := h.ValueAtPercentilesSlice([]float64{50, 95, 99})
	return [3]float64{float64(v[0]) / 1e3, float64(v[1]) / 1e3, float64(v[2]) / 1e3}
}

func toInts(c cappedCounter) map[string]int {
	m := make(map[string]int, len(c))
	for k, n := range c {
		m[k] = int(n)
	}
	return m
}
