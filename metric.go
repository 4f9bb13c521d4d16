package loadharness

import (
	"fmt"
	"strings"
)

// MetricKind says what a metric measures; it decides which units a gate may
// write and the canonical unit its threshold and measurement are kept in.
type MetricKind uint8

const (
	// KindLatency is a duration, kept in milliseconds (float64).
	KindLatency MetricKind = iota + 1
	// KindRatio is a fraction of requests, kept as 0..1.
	KindRatio
	// KindRate is events per second.
	KindRate
	// KindCount is a number of events.
	KindCount
	// KindValue is a plain number whose unit the harness does not know:
	// what a PromQL expression gives (a share of a core, a queue's depth).
	KindValue
)

// String returns "latency", "ratio", "rate", "count" or "value".
func (k MetricKind) String() string {
	switch k {
	case KindLatency:
		return "latency"
	case KindRatio:
		return "ratio"
	case KindRate:
		return "rate"
	case KindCount:
		return "count"
	case KindValue:
		return "value"
	default:
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
}

// Unit names k's canonical unit as written in GateResult.Unit: "ms",
// "ratio", "/s" or "count"; "" for a KindValue, which has none.
func (k MetricKind) Unit() string {
	switch k {
	case KindLatency:
		return "ms"
	case KindRatio:
		return "ratio"
	case KindRate:
		return "/s"
	case KindCount:
		return "count"
	default:
		return ""
	}
}

// KindForUnit is the inverse of MetricKind.Unit, for readers of a summary
// that only carries the unit.
func KindForUnit(unit string) (MetricKind, bool) {
	for _, k := range []MetricKind{KindLatency, KindRatio, KindRate, KindCount, KindValue} {
		if k.Unit() == unit {
			return k, true
		}
	}
	return 0, false
}

// Names of the metrics a gate can ask for, besides the latency quantiles
// ("p95", "p99.9", "raw_p99") and target counters ("target:NAME").
const (
	MetricMin                 = "min"
	MetricMax                 = "max"
	MetricMean                = "mean"
	MetricMedian              = "median"
	MetricErrorRate           = "error_rate"
	MetricAvailability        = "availability"
	MetricCheckRate           = "check_rate"
	MetricThroughput          = "throughput"
	MetricRequests            = "requests"
	MetricErrors              = "errors"
	MetricSessionsChecked     = "sessions_checked"
	MetricSessionsLost        = "sessions_lost"
	MetricSessionsVerified    = "sessions_verified"
	MetricSessionsUnverified  = "sessions_unverified"
	MetricChecksFailed        = "checks_failed"
	MetricDropped             = "dropped"
	MetricSkipped             = "skipped"
	MetricSetupFailed         = "setup_failed"
	MetricSerializationErrors = "serialization_errors"
)

// Names of the metrics measured around a scenario's events (timed actions,
// the autoscaler's actions, load steps) rather than over all its results;
// aggregate.Recovery answers them and docs/events.md defines them.
const (
	// MetricRecoveryTime is the longest time, over the scenario's actions,
	// from an action to the start of the first run of seconds whose p95 is
	// back under the recovery threshold with no failed request.
	MetricRecoveryTime = "recovery_time"
	// MetricExcessErrors counts failed requests beyond those that were in
	// flight while an instance was being killed: the errors a failover
	// should not cause.
	MetricExcessErrors = "excess_errors"
	// MetricReactionTime is the longest time from a load step to the first
	// response served by the instance a scale-out added after it.
	MetricReactionTime = "reaction_time"
	// MetricScaleEvents counts add-instance and remove-instance actions.
	MetricScaleEvents = "scale_events"
	// MetricFlaps counts scale actions that undo a reversal within
	// a minute: up, down and up again (or down, up, down).
	MetricFlaps = "flaps"
	// MetricScaleErrors counts failed requests sent while an instance
	// joined, in flight while one drained, or sent in the second after.
	MetricScaleErrors = "scale_errors"
)

// rawPrefix marks a latency metric measured from Sent rather than Intended.
const rawPrefix = "raw_"

// targetPrefix marks a counter scraped from the target's Prometheus metrics.
const targetPrefix = "target:"

// promQLWord opens a gate on a PromQL expression: promql(`EXPR`).
const promQLWord = "promql"

// Metric is what a gate measures. Name is canonical ("p99.9", never
// "p(99.9)"), so two gates on the same metric compare equal.
type Metric struct {
	// Name is the canonical metric name, for example "p95", "raw_p99",
	// "error_rate" or "target:redis_commands_total".
	Name string
	Kind MetricKind
	// Quantile is in (0, 100] for latency quantiles ("median" is 50) and 0
	// for every other metric, including min, max and mean.
	Quantile float64
	// Raw selects the raw latency (from Sent) instead of the latency
	// corrected for coordinated omission (from Intended).
	Raw bool
	// PromQL is the expression of a promql(...) gate, unquoted, exactly as
	// written (Name holds it quoted, as the gate's canonical text does);
	// "" for every other metric.
	PromQL string
}

// Base is the metric's name without the "raw_" prefix, so a Measurer can
// switch on "min", "max" and "mean" whichever latency it reads.
func (m Metric) Base() string { return strings.TrimPrefix(m.Name, rawPrefix) }

// TargetName is the Prometheus counter a "target:NAME" metric reads, or "".
func (m Metric) TargetName() string {
	if name, ok := strings.CutPrefix(m.Name, targetPrefix); ok {
		return name
	}
	return ""
}

// FromTarget reports whether the metric is scraped from the target rather
// than folded from results: aggregates of results cannot answer it, the
// harness can.
func (m Metric) FromTarget() bool {
	return m.Name == MetricSerializationErrors || strings.HasPrefix(m.Name, targetPrefix)
}

// FromPrometheus reports whether the metric is a PromQL expression,
// answered by a Prometheus over each scenario's main phase: neither the
// aggregates of results nor the target's own counters can answer it.
func (m Metric) FromPrometheus() bool { return m.PromQL != "" }

// promQLMetric is the metric of a promql(...) gate on expr, named by its
// canonical text so that two spellings of one expression compare equal.
func promQLMetric(expr string) Metric {
	return Metric{Name: promQLWord + "(" + quotePromQL(expr) + ")", Kind: KindValue, PromQL: expr}
}

// FromEvents reports whether the metric is measured around the scenario's
// events (recovery_time, excess_errors, reaction_time, scale_events, flaps,
// scale_errors): it is judged per scenario, never per step, and the
// measurer must have been told of the events.
func (m Metric) FromEvents() bool {
	switch m.Name {
	case MetricRecoveryTime, MetricExcessErrors, MetricReactionTime, MetricScaleEvents, MetricFlaps, MetricScaleErrors:
		return true
	}
	return false
}

// namedMetrics are the metrics known by name; latency quantiles and target
// counters are recognised by their shape instead.
var namedMetrics = map[string]Metric{
	MetricMin:                 {Name: MetricMin, Kind: KindLatency},
	MetricMax:                 {Name: MetricMax, Kind: KindLatency},
	MetricMean:                {Name: MetricMean, Kind: KindLatency},
	MetricMedian:              {Name: MetricMedian, Kind: KindLatency, Quantile: 50},
	MetricErrorRate:           {Name: MetricErrorRate, Kind: KindRatio},
	MetricAvailability:        {Name: MetricAvailability, Kind: KindRatio},
	MetricCheckRate:           {Name: MetricCheckRate, Kind: KindRatio},
	MetricThroughput:          {Name: MetricThroughput, Kind: KindRate},
	MetricRequests:            {Name: MetricRequests, Kind: KindCount},
	MetricErrors:              {Name: MetricErrors, Kind: KindCount},
	MetricSessionsChecked:     {Name: MetricSessionsChecked, Kind: KindCount},
	MetricSessionsLost:        {Name: MetricSessionsLost, Kind: KindCount},
	MetricSessionsVerified:    {Name: MetricSessionsVerified, Kind: KindCount},
	MetricSessionsUnverified:  {Name: MetricSessionsUnverified, Kind: KindCount},
	MetricChecksFailed:        {Name: MetricChecksFailed, Kind: KindCount},
	MetricDropped:             {Name: MetricDropped, Kind: KindCount},
	MetricSkipped:             {Name: MetricSkipped, Kind: KindCount},
	MetricSetupFailed:         {Name: MetricSetupFailed, Kind: KindCount},
	MetricSerializationErrors: {Name: MetricSerializationErrors, Kind: KindCount},
	MetricRecoveryTime:        {Name: MetricRecoveryTime, Kind: KindLatency},
	MetricExcessErrors:        {Name: MetricExcessErrors, Kind: KindCount},
	MetricReactionTime:        {Name: MetricReactionTime, Kind: KindLatency},
	MetricScaleEvents:         {Name: MetricScaleEvents, Kind: KindCount},
	MetricFlaps:               {Name: MetricFlaps, Kind: KindCount},
	MetricScaleErrors:         {Name: MetricScaleErrors, Kind: KindCount},
}

// knownMetricsHint lists what a gate may measure, for error messages.
const knownMetricsHint = "want p50..p99.99, p(99.9), raw_p99, min, max, mean, median, " +
	"error_rate, availability, check_rate, throughput, requests, errors, " +
	"sessions_checked, sessions_lost, checks_failed, dropped, skipped, serialization_errors, " +
	"recovery_time, excess_errors, reaction_time, scale_events, flaps, scale_errors, target:NAME " +
	"or promql(`EXPR`)"
