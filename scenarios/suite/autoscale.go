package suite

import (
	"fmt"
	"strconv"
	"time"
)

// Signal names what a scaling policy watches.
type Signal string

// The signals a scaling policy can watch.
const (
	// SignalP95 is the p95 latency (corrected for coordinated omission) of
	// the responses that arrived in the last evaluation period, in
	// milliseconds.
	SignalP95 Signal = "p95"
	// SignalQueueDepth is target_queue_depth summed over every instance and
	// worker: the requests waiting for a thread, as /metrics says.
	SignalQueueDepth Signal = "queue_depth"
	// SignalCPU is the CPU time the target's processes used in the last
	// evaluation period (process_cpu_seconds_total), in cores per instance:
	// 0.6 is 60% of one core.
	SignalCPU Signal = "cpu"
	// SignalPromQL is the value of the policy's PromQL query (Query),
	// asked of the run's Prometheus at each evaluation: the seed's own
	// policy reads avg(rate(process_cpu_seconds_total{job="target"}[30s])).
	SignalPromQL Signal = "promql"
)

// Signals lists every signal a policy may watch.
var Signals = []Signal{SignalP95, SignalQueueDepth, SignalCPU, SignalPromQL}

// AutoscaleInterval is how often a scaling policy is evaluated.
const AutoscaleInterval = time.Second

// Defaults of a scaling policy: the seed's "add an instance when CPU > 60%
// for 2 minutes, remove one when CPU < 30% for 10 minutes", with a
// five-minute cooldown as cloud auto-scaling groups default to. A test
// suite shortens them.
const (
	DefaultScaleOutFor = 2 * time.Minute
	DefaultScaleInFor  = 10 * time.Minute
	DefaultCooldown    = 5 * time.Minute
)

// Autoscale is a scenario's scaling policy, carried out by the harness
// while the scenario runs: it adds an instance when the signal has stayed
// above Above for For, and removes one (draining it first) when it has
// stayed below Below for ScaleInFor; never two actions within Cooldown,
// never outside MinInstances..MaxInstances.
type Autoscale struct {
	Signal Signal
	// Above and Below are in the signal's unit (see Signal.Unit). Below 0,
	// the zero value, never holds: the policy does not scale in.
	Above, Below float64
	For          time.Duration
	ScaleInFor   time.Duration
	Cooldown     time.Duration
	MinInstances int
	MaxInstances int
	// Query is the PromQL expression of SignalPromQL; "" otherwise.
	Query string
	// Pos is where the policy was written; QueryPos where its query is.
	Pos, QueryPos Pos
}

// ScalesIn reports whether the policy ever removes an instance.
func (a *Autoscale) ScalesIn() bool { return a.Below > 0 }

// Unit names the unit of the signal's thresholds: "ms", "requests" or
// "cores".
func (s Signal) Unit() string {
	switch s {
	case SignalP95:
		return "ms"
	case SignalQueueDepth:
		return "requests"
	case SignalCPU:
		return "cores"
	}
	return "" // promql: the query's own unit
}

// Format writes a value of the signal for people: "734ms", "12 requests",
// "65% CPU".
func (s Signal) Format(v float64) string {
	switch s {
	case SignalP95:
		return (time.Duration(v * float64(time.Millisecond))).Round(time.Millisecond).String()
	case SignalCPU:
		return strconv.FormatFloat(v*100, 'f', 0, 64) + "% CPU"
	case SignalPromQL:
		return strconv.FormatFloat(v, 'g', 4, 64) // the query's own unit

	default:
		return strconv.FormatFloat(v, 'f', -1, 64) + " " + s.Unit()
	}
}

// String describes the policy, for example "p95 > 500ms for 3s: add (up to
// 3); < 100ms for 5s: remove (down to 1); cooldown 5s".
func (a *Autoscale) String() string {
	name := string(a.Signal)
	if a.Signal == SignalPromQL {
		name = "promql(`" + a.Query + "`)"
	}
	s := fmt.Sprintf("%s > %s for %s: add (up to %d)", name, a.Signal.Format(a.Above), a.For, a.MaxInstances)
	if a.ScalesIn() {
		s += fmt.Sprintf("; < %s for %s: remove (down to %d)", a.Signal.Format(a.Below), a.ScaleInFor, a.MinInstances)
	}
	return s + fmt.Sprintf("; cooldown %s", a.Cooldown)
}

// Recovery says when a scenario counts as recovered after an action, for
// the recovery_time gate: every second of For in a row had requests, none
// failed, and their p95 was at most P95. A zero field takes its default:
// P95 from the scenario's tightest p95 gate (else 2s), For 3s.
type Recovery struct {
	P95 time.Duration
	For time.Duration
}
