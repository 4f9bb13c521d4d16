package scenarios

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"loadharness"
)

// phaseKind names the parts of a scenario run, each one Vegeta attack.
type phaseKind uint8

const (
	// phaseSetup runs each user's setup steps once.
	phaseSetup phaseKind = iota
	// phaseWarmup sends load whose results are dropped.
	phaseWarmup
	// phaseMain is the measured load.
	phaseMain
)

// resultPhase is the phase its results carry.
func (k phaseKind) resultPhase() loadharness.Phase {
	switch k {
	case phaseSetup:
		return loadharness.PhaseSetup
	case phaseWarmup:
		return loadharness.PhaseWarmup
	default:
		return loadharness.PhaseMain
	}
}

// String names the phase in logs.
func (k phaseKind) String() string {
	switch k {
	case phaseSetup:
		return "setup"
	case phaseWarmup:
		return "warm-up"
	default:
		return "main"
	}
}

// maxSetupConcurrency bounds how many users run their setup at once, so that
// a large pool does not open thousands of connections in one burst.
const maxSetupConcurrency = 256

// minSetupLimit is the least time setup may take before it is cut short.
const minSetupLimit = time.Minute

// phase is one Vegeta attack over the engine's users.
type phase struct {
	kind     phaseKind
	e        *engine
	pacer    vegeta.Pacer
	queue    *dueQueue // open model: when each hit is due
	duration time.Duration
	// limit cuts a phase without a duration short (setup).
	limit   time.Duration
	workers uint64
	deliver bool
	// end is when a closed-model phase stops sending (zero: no end).
	end time.Time
	// total is the number of requests of a setup phase (zero: no count).
	total  int64
	issued atomic.Int64

	// onStart, when set, is called with the time the attack starts.
	onStart func(began time.Time)

	done     chan struct{}
	doneOnce sync.Once
	// aborted is closed when the phase is cut short (abort), not when it
	// merely ends: an open model's pacer stops waiting for its next hit.
	aborted     chan struct{}
	abortedOnce sync.Once
	atk         *vegeta.Attacker

	// An open model's hits that fell due and were never sent: waiting
	// took that met the end (dueUnserved), and whether every user was busy
	// when the phase's time ran out (busyAtEnd).
	dropMu      sync.Mutex
	dueUnserved []time.Duration
	busyAtEnd   atomic.Bool

	errMu sync.Mutex
	err   error
}

// phaseStats is what the consumer counted in a phase.
type phaseStats struct {
	began, ended time.Time
	results      uint64
	// targetTime sums the delivered results' latency from send to last
	// byte: the target's share of the time users were held.
	targetTime time.Duration
	// dropped counts the open model's hits that fell due and were never sent.
	dropped     uint64
	interrupted bool
	// interruptedAt is when the context ended the phase.
	interruptedAt time.Time
}

// unserved records a hit due at due (offset from the epoch) whose targeter
// waited for a free user until the phase ended.
func (ph *phase) unserved(due time.Duration) {
	ph.dropMu.Lock()
	ph.dueUnserved = append(ph.dueUnserved, due)
	ph.dropMu.Unlock()
}

// finish ends the phase's waits; requests in flight complete.
func (ph *phase) finish() { ph.doneOnce.Do(func() { close(ph.done) }) }

// abort ends the phase now: Vegeta stops sending.
func (ph *phase) abort() {
	ph.finish()
	ph.abortedOnce.Do(func() { close(ph.aborted) })
	if ph.atk != nil {
		ph.atk.Stop()
	}
}

// fail records a harness error and aborts the phase.
func (ph *phase) fail(err error) {
	ph.errMu.Lock()
	if ph.err == nil {
		ph.err = err
	}
	ph.errMu.Unlock()
	ph.abort()
}

// newPhase prepares a phase of kind; open-model phases pace with s.
func (e *engine) newPhase(kind phaseKind, d time.Duration, s *schedule) *phase {
	users := uint64(len(e.pool.users))
	ph := &phase{kind: kind, e: e, duration: d, workers: users, deliver: true, done: make(chan struct{}), aborted: make(chan struct{})}
	switch {
	case kind == phaseSetup:
		ph.pacer = abortablePacer{setupPacer(len(e.pool.users)*e.plan.nSetup, e.sc.SetupRamp), ph.aborted}
		ph.workers = min(users, maxSetupConcurrency)
		ph.total = int64(len(e.pool.users) * e.plan.nSetup)
		ph.limit = max(minSetupLimit, e.sc.Duration)
	case s != nil:
		ph.queue = newDueQueue(*s, e.epoch, len(e.pool.users))
		ph.queue.end = d
		ph.queue.aborted = ph.aborted
		ph.pacer = ph.queue
	default:
		// Closed model: Vegeta's "as fast as workers allow" with one worker
		// per user; the targeter supplies the think time.
		ph.pacer = vegeta.Rate{}
	}
	return ph
}

// runPhase runs one attack and feeds its results to the sink, from this
// goroutine, in arrival order.
func (e *engine) runPhase(ctx context.Context, ph *phase) (phaseStats, error) {
	if e.direct && ph.kind != phaseSetup && ph.queue == nil && ph.duration > 0 {
		return e.runClosed(ctx, ph)
	}
	initial := ph.workers
	if ph.queue != nil {
		// An open model starts few workers; Vegeta adds more up to the pool.
		initial = min(ph.workers, vegeta.DefaultWorkers)
	}
	ph.atk = vegeta.NewAttacker(
		vegeta.Client(e.client),
		vegeta.MaxBody(0), // checks that need the body run in the transport
		vegeta.Workers(initial),
		vegeta.MaxWorkers(ph.workers),
	)
	var st phaseStats
	var cancelledAt atomic.Pointer[time.Time]
	stopOnCancel := context.AfterFunc(ctx, func() {
		now := time.Now()
		cancelledAt.Store(&now)
		ph.abort()
		e.conns.closeAll()
	})
	defer stopOnCancel()
	var timer *time.Timer
	switch {
	case ph.duration > 0:
		timer = time.AfterFunc(ph.duration, func() {
			ph.busyAtEnd.Store(e.pool.allBusy())
			ph.finish()
		})
	case ph.limit > 0:
		timer = time.AfterFunc(ph.limit, ph.abort)
	}
	st.began = time.Now()
	if ph.duration > 0 && ph.queue == nil {
		ph.end = st.began.Add(ph.duration)
	}
	if ph.onStart != nil {
		ph.onStart(st.began)
	}
	e.logf("%s: %s phase started (%d users)", e.sc.Name, ph.kind, len(e.pool.users))
	attackFor := ph.duration
	if ph.queue != nil && ph.duration > 0 {
		// The pacer ends an open model's attack at its last hit due in the
		// phase; the attack may run on by as much as a generator can lag
		// behind before the run is invalid anyway, so that such a hit is
		// sent late rather than dropped. Hits due in the phase and still not
		// sent after that were dropped: the generator was behind.
		attackFor += maxGeneratorLag
	}
	results := ph.atk.Attack(vegeta.Targeter(ph.target), ph.pacer, attackFor, e.sc.Name)
	var maxSeq uint64
	for vr := range results {
		if cancelledAt.Load() != nil {
			e.conv.release(vr) // cut short by the interruption: not a measurement
			continue
		}
		if !e.conv.convert(vr, &e.res) {
			continue
		}
		maxSeq = max(maxSeq, vr.Seq)
		st.results++
		st.targetTime += e.res.Latency
		if ph.deliver {
			e.res.Phase = ph.kind.resultPhase()
			e.res.Seq += e.seqBase
			e.opts.Sink.Add(&e.res)
		}
	}
	st.ended = time.Now()
	if timer != nil {
		timer.Stop()
	}
	ph.finish()
	stopOnCancel()
	if at := cancelledAt.Load(); at != nil {
		st.interrupted, st.interruptedAt = true, *at
	}
	e.seqBase += maxSeq + 1
	if ph.queue != nil && ph.deliver && !st.interrupted {
		st.dropped = e.deliverDropped(ph)
	}
	e.logf("%s: %s phase ended: %d requests in %s", e.sc.Name, ph.kind, st.results, st.ended.Sub(st.began).Round(time.Millisecond))
	ph.errMu.Lock()
	defer ph.errMu.Unlock()
	return st, ph.err
}

// setupPacer spreads hits setup requests evenly over ramp; with no ramp
// they go as fast as the workers allow.
func setupPacer(hits int, ramp time.Duration) vegeta.Pacer {
	if ramp <= 0 || hits <= 1 {
		return vegeta.Rate{}
	}
	return vegeta.Rate{Freq: hits, Per: ramp}
}
