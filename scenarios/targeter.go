package scenarios

import (
	"errors"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// errPhaseOver is the targeter's way to end a phase: Vegeta stops an attack
// when its targeter fails. Its results carry no URL and are dropped.
var errPhaseOver = errors.New("phase over")

// target fills t with the next request of a free user. It is Vegeta's
// targeter: it runs on Vegeta's workers, after Vegeta stamped the hit's
// timestamp, so any wait here (think time, a saturated pool) is not part of
// the latency the engine reports, which starts at the transport's send time.
func (ph *phase) target(t *vegeta.Target) error {
	if t == nil {
		return vegeta.ErrNilTarget
	}
	e := ph.e
	if ph.total > 0 && ph.issued.Add(1) > ph.total {
		return errPhaseOver // every setup request has been handed out
	}
	var intended time.Duration
	var due bool
	if ph.queue != nil {
		intended, due = ph.queue.pop()
	}
	u, ok := e.pool.take(ph.done)
	if !ok {
		if due {
			ph.unserved(intended) // due, and no user was free until the end
		}
		return errPhaseOver
	}
	if !ph.waitReady(u) {
		e.pool.giveBack(u)
		return errPhaseOver
	}
	si := 0
	if ph.kind == phaseSetup {
		si = u.setupNext
		u.setupNext++
	} else {
		si = e.plan.pickStep(u)
	}
	sp := &e.plan.steps[si]
	var body []byte
	if u.skip = sp.missing(u); u.skip == "" {
		var err error
		if body, err = sp.requestBody(u, si, e.uploads); err != nil {
			e.pool.giveBack(u)
			ph.fail(err)
			return err
		}
	}
	id := identity{user: u.id, step: si, intended: intended, handoff: time.Since(e.epoch)}
	if intended == 0 && ph.queue != nil {
		id.intended = id.handoff
	}
	var buf [192]byte
	b := buf[:0]
	b = sp.url.appendTo(b, u)
	b = id.appendFragment(b)
	t.Method = sp.method
	t.URL = string(b)
	t.Body = body
	t.Header = sp.requestHeader(u)
	return nil
}

// waitReady waits out u's think time. It returns false, without waiting
// further, when the phase ends first: a user not ready before the end sends
// nothing more in this phase.
func (ph *phase) waitReady(u *user) bool {
	now := time.Now()
	if !ph.end.IsZero() && !now.Before(ph.end) {
		return false
	}
	if !u.readyAt.After(now) {
		return true
	}
	if !ph.end.IsZero() && !u.readyAt.Before(ph.end) {
		// Hold the worker until the end rather than fail at once: failing
		// would stop the attack while other users may still be due.
		<-ph.done
		return false
	}
	timer := time.NewTimer(u.readyAt.Sub(now))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ph.done:
		return false
	}
}
