package target

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errCircuitOpen is a store call refused by its circuit breaker: the store
// failed too often lately to be worth a round trip.
var errCircuitOpen = errors.New("circuit open")

// circuitState is where a breaker stands; its value is what the
// target_circuit_state gauge shows.
type circuitState int

// The three states of a breaker.
const (
	// circuitClosed lets every call through and counts consecutive failures.
	circuitClosed circuitState = 0
	// circuitHalfOpen lets one probe call through after the cool-down; its
	// outcome closes or reopens the circuit.
	circuitHalfOpen circuitState = 1
	// circuitOpen refuses every call until the cool-down has passed.
	circuitOpen circuitState = 2
)

func (s circuitState) String() string {
	switch s {
	case circuitClosed:
		return "closed"
	case circuitHalfOpen:
		return "half-open"
	case circuitOpen:
		return "open"
	}
	return "unknown"
}

// outcome is what a call through the breaker says about the store.
type outcome int

const (
	// outcomeSuccess: the store answered (a missing key is an answer).
	outcomeSuccess outcome = iota
	// outcomeFailure: the store did not answer in time, or refused.
	outcomeFailure
	// outcomeIgnored: the caller gave up first, which says nothing about
	// the store.
	outcomeIgnored
)

// ticket is a call let through by allow, to be handed back to done. Its
// generation ties it to the state it was let through in, so that a slow
// call started before the circuit opened cannot close it afterwards.
type ticket struct{ generation uint64 }

// counter is the part of a Prometheus counter the breaker needs.
type counter interface{ Inc() }

// breaker is a circuit breaker in front of one store. While the store
// answers it stays closed; after threshold consecutive failures it opens and
// refuses calls at once (no round trip, no requests piling up behind a dead
// Redis) for coolDown; then it lets a single probe through, and closes when
// the probe succeeds or opens again when it fails. That is how a worker
// recovers from an outage without a restart.
//
// A nil *breaker lets every call through: the stores that do not need one
// (process memory, local disk) are left unguarded.
type breaker struct {
	threshold int
	coolDown  time.Duration
	// now is the clock, injectable so that tests need not sleep.
	now func() time.Time
	// rejected counts refused calls; onChange hears every transition.
	rejected counter
	onChange func(from, to circuitState)

	mu         sync.Mutex
	state      circuitState
	failures   int
	openedAt   time.Time
	generation uint64
	probing    bool
}

// newBreaker returns a closed breaker. threshold and coolDown must be
// positive; now, rejected and onChange may be nil.
func newBreaker(threshold int, coolDown time.Duration, now func() time.Time, rejected counter, onChange func(from, to circuitState)) *breaker {
	if now == nil {
		now = time.Now
	}
	return &breaker{threshold: threshold, coolDown: coolDown, now: now, rejected: rejected, onChange: onChange}
}

// State is the circuit's state as of now: an open circuit whose cool-down
// has passed already counts as half-open, although it changes only when the
// next call arrives.
func (b *breaker) State() circuitState {
	if b == nil {
		return circuitClosed
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == circuitOpen && !b.coolingDown() {
		return circuitHalfOpen
	}
	return b.state
}

// coolingDown says whether an open circuit must still refuse; b.mu is held.
func (b *breaker) coolingDown() bool {
	return b.now().Sub(b.openedAt) < b.coolDown
}

// refuse reports whether a call would be refused now, counting a rejection
// if so. Unlike allow it never takes the half-open probe: the session
// middleware uses it to turn a request away before doing any work.
func (b *breaker) refuse() bool {
	if b == nil {
		return false
	}
	b.mu.Lock()
	refused := (b.state == circuitOpen && b.coolingDown()) || (b.state == circuitHalfOpen && b.probing)
	b.mu.Unlock()
	if refused && b.rejected != nil {
		b.rejected.Inc()
	}
	return refused
}

// allow asks to make one call. It returns errCircuitOpen when the call must
// not be made; otherwise the caller reports the call's outcome to done,
// exactly once.
func (b *breaker) allow() (ticket, error) {
	b.mu.Lock()
	from := b.state
	if b.state == circuitOpen && !b.coolingDown() {
		b.set(circuitHalfOpen)
	}
	refused := b.state == circuitOpen || (b.state == circuitHalfOpen && b.probing)
	if b.state == circuitHalfOpen && !refused {
		b.probing = true
	}
	t, to := ticket{b.generation}, b.state
	b.mu.Unlock()
	b.changed(from, to)
	if refused {
		if b.rejected != nil {
			b.rejected.Inc()
		}
		return ticket{}, errCircuitOpen
	}
	return t, nil
}

// done records the outcome of a call allow let through.
func (b *breaker) done(t ticket, o outcome) {
	b.mu.Lock()
	from := b.state
	if t.generation == b.generation {
		switch b.state {
		case circuitClosed:
			switch o {
			case outcomeSuccess:
				b.failures = 0
			case outcomeFailure:
				b.failures++
				if b.failures >= b.threshold {
					b.set(circuitOpen)
				}
			}
		case circuitHalfOpen:
			b.probing = false
			switch o {
			case outcomeSuccess:
				b.set(circuitClosed)
			case outcomeFailure:
				b.set(circuitOpen)
			}
			// An ignored probe leaves the circuit half-open for the next.
		}
	}
	to := b.state
	b.mu.Unlock()
	b.changed(from, to)
}

// set moves to state s and starts a new generation; b.mu is held.
func (b *breaker) set(s circuitState) {
	b.state = s
	b.generation++
	b.failures = 0
	b.probing = false
	if s == circuitOpen {
		b.openedAt = b.now()
	}
}

// changed tells onChange about a transition, outside the lock.
func (b *breaker) changed(from, to circuitState) {
	if from != to && b.onChange != nil {
		b.onChange(from, to)
	}
}

// call runs op through the breaker: at once errCircuitOpen when the circuit
// refuses, otherwise op's own error. An error counts as a failure of the
// store unless ctx ended first: a request that gave up or ran out of time
// in the queue says nothing about the store. op gets ctx unchanged and
// applies its own per-command timeout.
func (b *breaker) call(ctx context.Context, op func(context.Context) error) error {
	if b == nil {
		return op(ctx)
	}
	t, err := b.allow()
	if err != nil {
		return err
	}
	err = op(ctx)
	switch {
	case err == nil:
		b.done(t, outcomeSuccess)
	case ctx.Err() != nil:
		b.done(t, outcomeIgnored)
	default:
		b.done(t, outcomeFailure)
	}
	return err
}
