package promout

import (
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"loadharness"
	"loadharness/reports/aggregate"
)

// Run names the run whose metrics are exported: every series carries both
// as the labels run_id and suite.
type Run struct {
	// ID identifies the run among every run a Prometheus has seen.
	ID string
	// Suite is the suite's name.
	Suite string
}

// DefaultLatencyBuckets are the upper bounds of the latency histogram, in
// seconds: from 1ms to 10s, what a web service's latencies span.
var DefaultLatencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// The labels of the metrics, beside the run's run_id and suite.
const (
	labelScenario = "scenario"
	labelStep     = "step"
	labelPhase    = "phase"
)

// Collector is a prometheus.Collector over the aggregate of a run: it reads
// the aggregate's tallies when gathered (aggregate.Tally), one per scenario
// step and phase, so it adds nothing to the cost of a result. Until Watch
// hands it an aggregate it collects nothing.
type Collector struct {
	agg    atomic.Pointer[aggregate.Aggregate]
	bounds []time.Duration // DefaultLatencyBuckets as durations
	upper  []float64       // DefaultLatencyBuckets

	requests, failed, checksFailed, dropped *prometheus.Desc
	latency, inFlight                       *prometheus.Desc
	sessionsChecked, sessionsLost           *prometheus.Desc
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a collector of run's metrics that collects nothing
// until Watch is called.
func NewCollector(run Run) *Collector {
	constant := prometheus.Labels{"run_id": run.ID, "suite": run.Suite}
	step := []string{labelScenario, labelStep, labelPhase}
	scenario := []string{labelScenario, labelPhase}
	desc := func(name, help string, labels []string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, constant)
	}
	c := &Collector{
		upper: DefaultLatencyBuckets,
		requests: desc("loadtest_requests_total",
			"Requests sent.", step),
		failed: desc("loadtest_requests_failed_total",
			"Requests that failed at the transport or HTTP level: no response, or a status of 400 or more. Failed checks are loadtest_checks_failed_total.", step),
		checksFailed: desc("loadtest_checks_failed_total",
			"Responses whose checks (expect, checks) failed.", step),
		dropped: desc("loadtest_dropped_hits_total",
			"Hits of an open model that fell due and were never sent, and steps users skipped; each failed its user. Hits dropped before a step was picked for them have no step label.", step),
		latency: desc("loadtest_request_duration_seconds",
			"Request latency corrected for coordinated omission: from when the load model meant to send the request to its last byte. A latency that shares the aggregate's histogram bucket with a bound counts below it (within 0.1%).", step),
		inFlight: desc("loadtest_requests_in_flight_seconds_total",
			"Seconds requests spent in flight (raw latency, from send to last byte), added as each request ends: its rate is the mean number of requests in flight (Little's law).", step),
		sessionsChecked: desc("loadtest_sessions_checked_total",
			"Users whose responses spoke about their session (docs/sessions.md). Per scenario only: the session rule follows a user across steps. The main phase's counts what setup and warm-up said of the session too.", scenario),
		sessionsLost: desc("loadtest_sessions_lost",
			"Users whose session counts as lost so far under the session rule (docs/sessions.md). Per scenario only: the rule follows a user across steps. A gauge: a user whose last checked response proved nothing counts as lost until a later one proves the session.", scenario),
	}
	for _, s := range c.upper {
		c.bounds = append(c.bounds, time.Duration(s*float64(time.Second)))
	}
	return c
}

// Watch makes the collector report a from now on; the harness calls it as
// soon as it creates the run's aggregate (harness.WithAggregate).
func (c *Collector) Watch(a *aggregate.Aggregate) { c.agg.Store(a) }

// Describe sends the descriptions of every metric the collector exports.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.requests, c.failed, c.checksFailed, c.dropped, c.latency, c.inFlight,
		c.sessionsChecked, c.sessionsLost,
	} {
		ch <- d
	}
}

// Collect sends the figures of every scenario step of every phase seen so
// far, and each scenario's sessions.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	a := c.agg.Load()
	if a == nil {
		return
	}
	for _, scenario := range a.Scenarios() {
		for _, p := range loadharness.Phases {
			c.collectScenario(ch, a, scenario, p)
		}
	}
}

// collectScenario sends the figures of scenario's steps in phase p, and the
// scenario's own (hits dropped before a step, sessions), when that phase
// saw anything of it.
func (c *Collector) collectScenario(ch chan<- prometheus.Metric, a *aggregate.Aggregate, scenario string, p loadharness.Phase) {
	phase := p.String()
	whole := a.Tally(loadharness.Scope{Scenario: scenario, Phase: p}, nil)
	steps := a.PhaseSteps(scenario, p)
	if len(steps) == 0 && whole.Dropped == 0 && whole.SessionsChecked == 0 && whole.SessionsLost == 0 {
		return
	}
	// Hits dropped before a step count under no step label; were a step
	// named "" too, they would be the same series, so they join its count.
	beforeStep := whole.DroppedBeforeStep
	for _, step := range steps {
		t := a.Tally(loadharness.Scope{Scenario: scenario, Step: step, Phase: p}, c.bounds)
		dropped := t.Dropped
		if step == "" {
			dropped += beforeStep
			beforeStep = 0
		}
		counter := func(d *prometheus.Desc, v uint64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), scenario, step, phase)
		}
		counter(c.requests, t.Requests)
		counter(c.failed, t.Failed)
		counter(c.checksFailed, t.ChecksFailed)
		counter(c.dropped, dropped)
		ch <- prometheus.MustNewConstMetric(c.inFlight, prometheus.CounterValue, t.RawLatencySum.Seconds(), scenario, step, phase)
		buckets := make(map[float64]uint64, len(c.upper))
		for i, le := range c.upper {
			buckets[le] = t.LatencyAtMost[i]
		}
		ch <- prometheus.MustNewConstHistogram(c.latency, t.Requests, t.LatencySum.Seconds(), buckets, scenario, step, phase)
	}
	if beforeStep > 0 {
		ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(beforeStep), scenario, "", phase)
	}
	ch <- prometheus.MustNewConstMetric(c.sessionsChecked, prometheus.CounterValue, float64(whole.SessionsChecked), scenario, phase)
	ch <- prometheus.MustNewConstMetric(c.sessionsLost, prometheus.GaugeValue, float64(whole.SessionsLost), scenario, phase)
}
