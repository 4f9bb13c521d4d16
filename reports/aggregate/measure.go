package aggregate

import (
	"loadharness"
)

// Measure answers a gate's metric on scope from the results folded so far.
// It cannot answer metrics scraped from the target (serialization_errors,
// target:NAME), metrics measured around events (recovery_time and the
// others Recovery answers), nor anything about a scope that saw no request:
// ok is then false, and the gate reports the measurement as missing.
//
// Latencies are in milliseconds; error_rate is (failed+dropped)/(requests+
// dropped), availability (requests-failed)/(requests+dropped): a hit that
// fell due and was never sent failed its user. check_rate
// (requests-checks_failed)/requests; throughput is requests per second from
// the first request sent to the last response received; errors counts
// failed requests; sessions_checked, sessions_lost, sessions_verified and
// sessions_unverified count distinct users under the session rule
// (sessionBook), and sessions_lost is not measured while no session was
// checked.
func (a *Aggregate) Measure(m loadharness.Metric, scope loadharness.Scope) (float64, bool) {
	if b := a.phaseOf(scope.Phase, false); b != a {
		if b == nil {
			return 0, false
		}
		return b.Measure(m, scope)
	}
	if m.Name == loadharness.MetricSetupFailed {
		return a.setupFailed(scope)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.lookup(scope, noSeconds)
	if s == nil || (s.requests == 0 && s.dropped == 0) || m.FromTarget() || m.FromEvents() {
		return 0, false
	}
	return s.measure(m)
}

func (s *scopeStats) measure(m loadharness.Metric) (float64, bool) {
	if s.requests == 0 && m.Name != loadharness.MetricErrorRate && m.Name != loadharness.MetricAvailability && m.Name != loadharness.MetricDropped && m.Name != loadharness.MetricSkipped {
		// Only dropped hits: nothing was sent, so no latency, throughput or
		// count of requests rests on evidence.
		return 0, false
	}
	due := s.requests + s.dropped
	switch m.Kind {
	case loadharness.KindLatency:
		l := &s.corrected
		if m.Raw {
			l = &s.raw
		}
		if m.Quantile > 0 {
			return l.quantileMS(m.Quantile), true
		}
		switch m.Base() {
		case loadharness.MetricMin:
			return millis(l.min), true
		case loadharness.MetricMax:
			return millis(l.max), true
		case loadharness.MetricMean:
			return millis(l.sum) / float64(s.requests), true
		}
	case loadharness.KindRatio:
		switch m.Name {
		case loadharness.MetricErrorRate:
			return ratio(s.failed+s.dropped, due), true
		case loadharness.MetricAvailability:
			return ratio(s.requests-s.failed, due), true
		case loadharness.MetricCheckRate:
			return ratio(s.requests-s.checksFailed, s.requests), true
		}
	case loadharness.KindRate:
		if m.Name == loadharness.MetricThroughput {
			return s.throughput(), true
		}
	case loadharness.KindCount:
		switch m.Name {
		case loadharness.MetricRequests:
			return float64(s.requests), true
		case loadharness.MetricErrors:
			return float64(s.failed), true
		case loadharness.MetricSessionsChecked:
			return float64(s.sessions.counts().checked), true
		case loadharness.MetricSessionsLost:
			// No evidence, no answer: with no session ever checked (every
			// capture failed, no step checks), "0 lost" would be a PASS
			// resting on nothing.
			c := s.sessions.counts()
			return float64(c.lost), c.checked > 0
		case loadharness.MetricSessionsVerified:
			return float64(s.sessions.counts().verified), true
		case loadharness.MetricSessionsUnverified:
			return float64(s.sessions.counts().unverified), true
		case loadharness.MetricChecksFailed:
			return float64(s.checksFailed), true
		case loadharness.MetricDropped:
			return float64(s.dropped), true
		case loadharness.MetricSkipped:
			return float64(s.skipped), true
		}
	}
	return 0, false
}
