package scenarios

import (
	"math"
	"sort"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"loadharness/scenarios/suite"
)

// schedule is an open model's pacing: a Vegeta pacer, the exact time at which
// it sends each hit, and how many hits it means to send, so that each request
// can carry the time it was meant to go and a run can tell whether the
// generator kept up.
type schedule struct {
	pacer vegeta.Pacer
	// due is when hit n (0-based) is sent, from the start of the attack.
	due func(n uint64) time.Duration
	// expected is how many hits the model sends in the first d.
	expected func(d time.Duration) float64
}

// newSchedule returns the schedule of an open model lasting d.
func newSchedule(m suite.LoadModel, d time.Duration) schedule {
	switch m.Kind {
	case suite.Ramp:
		return linearSchedule(m.From, m.To, d)
	case suite.Staged:
		p := NewStepPacer(m.Stages)
		return schedule{
			pacer: p,
			due: func(n uint64) time.Duration {
				due, ok := p.Due(n)
				if !ok {
					return time.Duration(math.MaxInt64)
				}
				return due
			},
			expected: p.hits,
		}
	default:
		return constantSchedule(initialRate(m))
	}
}

// initialRate is the rate at the start of m: the rate of its warm-up.
func initialRate(m suite.LoadModel) suite.Rate {
	switch m.Kind {
	case suite.Constant:
		return m.Rate
	case suite.Ramp:
		return m.From
	case suite.Staged:
		if len(m.Stages) > 0 {
			return m.Stages[0].Rate
		}
	}
	return 0
}

// vegetaRate expresses r as a Vegeta rate. Whole rates are per second, like
// Vegeta's own; fractional ones are per million seconds so that 2.5/s and
// 1/h keep six significant digits in Vegeta's integer frequency.
func vegetaRate(r suite.Rate) vegeta.Rate {
	if f := float64(r); f == math.Trunc(f) && f >= 1 {
		return vegeta.Rate{Freq: int(f), Per: time.Second}
	}
	return vegeta.Rate{Freq: int(math.Round(float64(r) * 1e6)), Per: 1e6 * time.Second}
}

// constantSchedule paces r requests a second with vegeta.ConstantPacer,
// which sends hit n at (n+1) intervals of Per/Freq (integer nanoseconds).
func constantSchedule(r suite.Rate) schedule {
	vr := vegetaRate(r)
	interval := vr.Per.Nanoseconds() / int64(vr.Freq)
	return schedule{
		pacer: vr,
		due:   func(n uint64) time.Duration { return time.Duration((int64(n) + 1) * interval) },
		expected: func(d time.Duration) float64 {
			return float64(d) / float64(interval)
		},
	}
}

// linearSchedule ramps from → to over d with vegeta.LinearPacer. That pacer
// sends hit 0 at once and hit n ≥ 1 when its integral H(t) = b·t + a·t²/2
// reaches n+1; due inverts H in closed form (the numerically stable root).
func linearSchedule(from, to suite.Rate, d time.Duration) schedule {
	start := vegetaRate(from)
	slope := 0.0
	if d > 0 {
		slope = float64(to-from) / d.Seconds()
	}
	p := vegeta.LinearPacer{StartAt: start, Slope: slope}
	// The same expression as Vegeta's hitsPerNs()*1e9, so the floats agree.
	b := float64(start.Freq) / float64(start.Per) * 1e9
	a := slope
	return schedule{
		pacer: p,
		due: func(n uint64) time.Duration {
			if n == 0 {
				return 0
			}
			k := float64(n) + 1
			disc := b*b + 2*a*k
			den := b + math.Sqrt(math.Max(disc, 0))
			if disc < 0 || den <= 0 {
				return time.Duration(math.MaxInt64) // the rate falls to zero first
			}
			return time.Duration(2 * k / den * 1e9)
		},
		expected: func(d time.Duration) float64 {
			x := d.Seconds()
			return b*x + a*x*x/2
		},
	}
}

// StepPacer paces an attack through stages, holding each stage's rate for
// its duration, and stops after the last. Like vegeta.ConstantPacer it sends
// hit n (0-based) when the stages' cumulative hits reach n+1, so one stage at
// a whole rate paces exactly as Vegeta's constant pacer does.
type StepPacer struct {
	stages []suite.Stage
	// starts[i] and cum[i] are when stage i starts and how many hits are due
	// before it; cum has one more entry, the total.
	starts []time.Duration
	cum    []float64
}

var _ vegeta.Pacer = (*StepPacer)(nil)

// NewStepPacer returns a pacer for stages, whose rates must be positive.
func NewStepPacer(stages []suite.Stage) *StepPacer {
	p := &StepPacer{stages: stages, starts: make([]time.Duration, len(stages)), cum: make([]float64, len(stages)+1)}
	var t time.Duration
	for i, s := range stages {
		p.starts[i] = t
		p.cum[i+1] = p.cum[i] + float64(s.Rate)*s.Duration.Seconds()
		t += s.Duration
	}
	return p
}

// Due returns when hit n is sent, and false when it falls after the last
// stage.
func (p *StepPacer) Due(n uint64) (time.Duration, bool) {
	k := float64(n) + 1
	// The first stage whose cumulative hits reach k.
	i := sort.SearchFloat64s(p.cum[1:], k)
	if i >= len(p.stages) {
		return 0, false
	}
	s := p.stages[i]
	return p.starts[i] + time.Duration((k-p.cum[i])/float64(s.Rate)*1e9), true
}

// Pace returns the wait until hit number hits is due; a negative wait (the
// attack is behind) means at once.
func (p *StepPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	due, ok := p.Due(hits)
	if !ok {
		return 0, true
	}
	return due - elapsed, false
}

// Rate returns the rate of the stage running at elapsed, 0 after the last.
func (p *StepPacer) Rate(elapsed time.Duration) float64 {
	for i := len(p.stages) - 1; i >= 0; i-- {
		if elapsed >= p.starts[i] {
			if elapsed < p.starts[i]+p.stages[i].Duration {
				return float64(p.stages[i].Rate)
			}
			return 0
		}
	}
	return 0
}

// hits returns how many hits are due in the first d.
func (p *StepPacer) hits(d time.Duration) float64 {
	for i := len(p.stages) - 1; i >= 0; i-- {
		if d >= p.starts[i] {
			in := min(d-p.starts[i], p.stages[i].Duration)
			return p.cum[i] + float64(p.stages[i].Rate)*in.Seconds()
		}
	}
	return 0
}

// sharpenMaxRate is the highest starting rate (per second) at which the
// pacer's thread is locked and its timer slack cut (sharpenPacerThread):
// below it the pacer sleeps between most hits and the slack is lag; above
// it the hits come faster than the slack, and a locked thread costs every
// hand-off to Vegeta's workers a wake-up of that one thread (at 10000/s,
// make bench's lag p99 went from 2-4ms to 8ms).
const sharpenMaxRate = 2000

// sendLead is how long before a hit is due the pacer hands it to one of
// Vegeta's workers, which builds the request and then polls the clock in
// the transport until the hit is due (awaitDue). The lag of a hit sent
// when due was, at 1000/s on the 2-core machine, 55-85µs at the median
// (`make bench`, section lag): the pacer's nanosleep waking late, then
// the hand-over waking a goroutine on another thread, every microsecond
// charged to the target as latency. The pacer now polls the clock itself
// for the last spinWindow of its wait, and the hand-over and the request's
// building are paid before the hit is due. A hit is never sent early.
//
// Tried on the same machine, 3 runs each, lag p50 / p99 / generator CPU per
// request at 1000/s (180-190µs before):
//   - hand over 250-1000µs early, the worker sleeping then polling: p50
//     under 1µs, p99 11µs-3.9ms, 260-330µs of CPU (a thread blocked per
//     hit in flight costs the scheduler more than the poll);
//   - the worker polling all of a 150µs lead: p99 98-140µs, 300µs of CPU;
//   - this, 40-80µs early: p50 0-9µs, p99 52-432µs, 220-290µs of CPU.
//
// Only rates up to sharpenMaxRate are paced this way: above, hits come
// closer together than the pacer would poll, and it would poll nearly all
// the time.
const sendLead = 60 * time.Microsecond

// paceAwait and paceSleep are how the pacer waits for a hit's due time:
// to the microsecond, sendLead early, at rates up to sharpenMaxRate, and by
// a plain nanosleep above; tests make them late.
var (
	paceAwait = awaitDue
	paceSleep = preciseSleep
)

// dueQueue wraps an open model's pacer: each time Vegeta asks when to send
// hit n, it records when hit n is due on a FIFO that the targeter pops. Pace
// is called exactly once per hit, and ticks reach the targeter in order (to
// within the microseconds two workers may race by), so each request is
// stamped with the time the model meant it to go.
type dueQueue struct {
	inner vegeta.Pacer
	due   func(n uint64) time.Duration
	epoch time.Time
	began time.Time
	q     chan time.Duration // due times as offsets from epoch
	// paced counts the hits Pace handed out; read once the attack ended.
	paced uint64
	// aborted, when closed, ends a wait for the next hit: the phase was
	// interrupted or failed (not merely over: a hit due before its end is
	// still sent, late if need be).
	aborted <-chan struct{}
	// end, when set, is the phase's length: Pace stops the attack at the
	// first hit due after it. The attack itself is given a little longer
	// (runPhase), so that a hit due just before the end is still sent when
	// the generator runs a little late; Vegeta's own end check, made before
	// it paces each hit, would drop it.
	end time.Duration
}

var _ vegeta.Pacer = (*dueQueue)(nil)

// newDueQueue wraps s; capacity bounds the hits paced but not yet targeted
// (one per worker, and one being paced).
func newDueQueue(s schedule, epoch time.Time, capacity int) *dueQueue {
	return &dueQueue{inner: s.pacer, due: s.due, epoch: epoch, q: make(chan time.Duration, capacity+2)}
}

// Pace asks the wrapped pacer, records when hit number hits is due, and
// waits until sendLead before then itself (preciseSleep) rather than leave
// the wait to Vegeta's time.Sleep, which wakes up to a millisecond late:
// that lateness would be charged to the target as latency (`make bench`,
// section lag). The worker that takes the hit waits out the rest.
func (d *dueQueue) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	wait, stop := d.inner.Pace(elapsed, hits)
	if stop {
		return wait, true
	}
	precise := false
	if r := d.inner.Rate(elapsed); r > 0 && r <= sharpenMaxRate {
		precise = true
	}
	if d.began.IsZero() {
		if precise {
			sharpenPacerThread()
		}
		// Vegeta measured elapsed from its own start a moment ago.
		d.began = time.Now().Add(-elapsed)
	}
	due := d.due(hits)
	if d.end > 0 && due > d.end {
		return 0, true
	}
	d.paced = hits + 1
	lead := time.Duration(0)
	if precise {
		lead = sendLead
	}
	handOver := time.Now().Add(wait - lead)
	if due != time.Duration(math.MaxInt64) { // else never due: the targeter stamps its own time
		select {
		case d.q <- d.began.Add(due).Sub(d.epoch):
		default:
			// Cannot happen with the capacity above; the targeter then stamps
			// the hit with its own time rather than block the pacer.
		}
	}
	if wait > lead && !d.waitUntil(handOver, precise) {
		return 0, true // aborted while waiting: the hit is not sent
	}
	return 0, false
}

// paceCheckEvery is how often a pacer waiting for its next hit looks
// whether the phase was aborted: at a slow rate the wait is long (an hour
// at suite.MinRate), and Vegeta only sees its stop once Pace returns, so
// an interrupted run at 0.1/s used to wait up to 10s before it ended.
const paceCheckEvery = 50 * time.Millisecond

// abortablePacer lets an abort cut short a wait Vegeta would sleep through:
// its attack loop sleeps the wait the pacer returns and only then sees its
// stop, so a setup ramp of a few users over minutes, a minute between
// hits, held an interrupted run for up to that minute. It waits out all but
// the last paceCheckEvery of a longer wait itself, until aborted, and
// leaves the rest to Vegeta as before.
type abortablePacer struct {
	vegeta.Pacer
	aborted <-chan struct{}
}

// Pace asks the wrapped pacer, and waits here when the wait is long.
func (p abortablePacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	wait, stop := p.Pacer.Pace(elapsed, hits)
	if stop || wait <= paceCheckEvery {
		return wait, stop
	}
	t := time.NewTimer(wait - paceCheckEvery)
	defer t.Stop()
	select {
	case <-p.aborted:
		return 0, true
	case <-t.C:
		// Vegeta sleeps this nanosecond and asks again, with the time now.
		return time.Nanosecond, false
	}
}

// waitUntil waits until t, precisely (paceAwait) or with a plain nanosleep
// (paceSleep), in slices of paceCheckEvery; it returns false as soon as it
// sees the phase aborted.
func (d *dueQueue) waitUntil(t time.Time, precise bool) bool {
	for {
		select {
		case <-d.aborted:
			return false
		default:
		}
		left := time.Until(t)
		if left > paceCheckEvery {
			preciseSleep(paceCheckEvery)
			continue
		}
		switch {
		case precise:
			paceAwait(t)
		case left > 0:
			paceSleep(left)
		}
		return true
	}
}

// Rate returns the wrapped pacer's rate.
func (d *dueQueue) Rate(elapsed time.Duration) float64 { return d.inner.Rate(elapsed) }

// pop returns the due time of the next hit to target.
func (d *dueQueue) pop() (time.Duration, bool) {
	select {
	case v := <-d.q:
		return v, true
	default:
		return 0, false
	}
}

// unsent returns, once the attack has ended, the due times (offsets from
// the epoch) of the hits that fell due within dur of the start and were
// never targeted: paced but never handed to a worker, or never paced
// because the attack ended first. f is called in order of due time.
func (d *dueQueue) unsent(dur time.Duration, f func(due time.Duration)) {
	for {
		v, ok := d.pop()
		if !ok {
			break
		}
		f(v)
	}
	if d.began.IsZero() {
		return
	}
	for n := d.paced; ; n++ {
		due := d.due(n)
		if due > dur { // Vegeta still sends a hit due at the very end
			return
		}
		f(d.began.Add(due).Sub(d.epoch))
	}
}
