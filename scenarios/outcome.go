package scenarios

import (
	"fmt"
	"math"
	"runtime"
	"strconv"
	"time"

	"loadharness"
)

// Outcome is what the engine knows about its own run, so that the verdict
// can say a run is invalid when the generator, not the target, was the limit.
type Outcome struct {
	// Started and Finished bound the measured part (after setup and warm-up),
	// from its first request to its last result.
	Started, Finished time.Time
	// Sent counts the requests of the measured part.
	Sent uint64
	// Dropped counts an open model's hits that fell due in the measured
	// part and were never sent; the sink had them as records with
	// Result.Dropped set.
	Dropped uint64
	// AskedRPS is the open model's mean rate over the measured part; 0 in a
	// closed model.
	AskedRPS float64
	// SentRPS is the rate actually sent over the measured part.
	SentRPS float64
	// PoolSaturated is how long every user of an open model was busy at once:
	// requests then waited for a user, and corrected latency carries the wait.
	PoolSaturated time.Duration
	// UsersHeld is the time users of an open model were held by requests,
	// from the hand-out to the hand-back, summed over the measured part;
	// TargetTime is the part of it the target took (send to last byte).
	// When the target took little of it, a busy pool is the generator's
	// doing (its workers were not scheduled), not the target's.
	UsersHeld, TargetTime time.Duration
	// ServiceVersions counts answers by the version the service said (the
	// suite's session.version_header), over every phase; nil without one.
	ServiceVersions map[string]uint64
	// GeneratorLagP50 and GeneratorLagP99 bound an open model's generator
	// lag over LagSamples hits: due (or a user came free) to sent. It is
	// the generator's own delay, measured rather than inferred.
	GeneratorLagP50, GeneratorLagP99 time.Duration
	LagSamples                       uint64
	// GeneratorCores is the mean number of CPU cores this process used during
	// the measured part (0 when not measured).
	GeneratorCores float64
	// GeneratorBound means the generator could not hold the load; Reasons
	// say why. Such a run proves nothing either way.
	GeneratorBound bool
	Reasons        []string
	// Warnings make the figures less representative without making them
	// wrong (for example a target that could not absorb the asked rate).
	Warnings []string
	// Events are the timed actions carried out.
	Events []loadharness.Event
}

// Thresholds of the invalid-run checks.
const (
	// minSentShare is the share of the asked requests below which an open
	// model is said to have fallen behind.
	minSentShare = 0.95
	// maxCPUShare is the share of the process's cores above which the
	// generator is said to be CPU-bound.
	maxCPUShare = 0.9
	// minTargetShare is the share of the users' held time the target must
	// have taken for a busy pool to be the target's doing.
	minTargetShare = 0.5
	// maxGeneratorLag is the p99 generator lag above which the corrected
	// latencies carry more of the generator's delay than a target's answer
	// is worth judging by: the run is invalid.
	maxGeneratorLag = 100 * time.Millisecond
	// minLagSamples is the least hits the lag rule judges on.
	minLagSamples = 100
)

// judge fills the rates and, when check is set (the run was not
// interrupted, which cuts requests short), decides whether the generator
// held the load over the measured window. An open model that sent too
// little is the target's doing when every user was busy for most of the
// shortfall and the target took at least half the time users were held
// (the corrected latency carries the wait), and the generator's otherwise
// (the run is invalid): users held by requests the target answered fast
// were waiting on the generator's own workers. A generator that used nearly all its cores is invalid too: its
// own scheduling delays are then in the latencies.
func (o *Outcome) judge(users int, window time.Duration, sched *schedule, check bool) {
	secs := window.Seconds()
	if secs <= 0 {
		return
	}
	o.SentRPS = float64(o.Sent) / secs
	if sched != nil {
		o.AskedRPS = sched.expected(window) / secs
	}
	if !check {
		return
	}
	if sched != nil {
		asked := sched.expected(window)
		if float64(o.Sent) < minSentShare*asked {
			// The load missing, in seconds of the asked rate.
			shortfall := time.Duration((asked - float64(o.Sent)) / o.AskedRPS * float64(time.Second))
			targetHeld := o.UsersHeld == 0 || float64(o.TargetTime) >= minTargetShare*float64(o.UsersHeld)
			if o.PoolSaturated >= shortfall/2 && targetHeld {
				o.Warnings = append(o.Warnings, fmt.Sprintf(
					"the target could not absorb %s with %d users: every user was busy for %s of %s, so %s was sent; corrected latency carries the wait",
					perSecond(o.AskedRPS), users, o.PoolSaturated.Round(time.Millisecond), window.Round(time.Millisecond), perSecond(o.SentRPS)))
			} else {
				o.GeneratorBound = true
				reason := fmt.Sprintf("generator fell behind: sent %s of %s asked", perSecond(o.SentRPS), perSecond(o.AskedRPS))
				if !targetHeld {
					reason += fmt.Sprintf("; the target took %.0f%% of the time users were held (%s of %s)",
						100*float64(o.TargetTime)/float64(o.UsersHeld), o.TargetTime.Round(time.Millisecond), o.UsersHeld.Round(time.Millisecond))
				}
				o.Reasons = append(o.Reasons, reason)
			}
		}
	}
	if o.LagSamples >= minLagSamples && o.GeneratorLagP99 > maxGeneratorLag {
		o.GeneratorBound = true
		o.Reasons = append(o.Reasons, fmt.Sprintf("generator lag p99 ≤ %s (p50 ≤ %s) over %d hits, above %s: the generator, not the target, delayed the requests",
			o.GeneratorLagP99, o.GeneratorLagP50, o.LagSamples, maxGeneratorLag))
	}
	procs := runtime.GOMAXPROCS(0)
	if o.GeneratorCores > maxCPUShare*float64(procs) {
		o.GeneratorBound = true
		o.Reasons = append(o.Reasons, fmt.Sprintf("generator was CPU-bound: this process used %.2f of %d cores", o.GeneratorCores, procs))
	}
}

// perSecond prints a rate with one decimal at most, for example "142.1/s".
func perSecond(r float64) string {
	return strconv.FormatFloat(math.Round(r*10)/10, 'f', -1, 64) + "/s"
}
