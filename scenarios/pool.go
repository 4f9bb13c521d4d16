package scenarios

import (
	"math/rand/v2"
	"net/http/cookiejar"
	"sync"
	"sync/atomic"
	"time"
)

// phaseMode says how the pool routes a released user.
type phaseMode int32

const (
	// modeSetup parks users who have finished their setup steps.
	modeSetup phaseMode = iota
	// modeLoop returns every user to the free list.
	modeLoop
)

// pool holds the virtual users and hands free ones out. In an open model it
// measures how long every user was busy at once: while the pool is
// saturated, requests wait for a user, and that wait is the target's doing.
type pool struct {
	users []*user
	base  uint32
	free  chan *user

	mode  atomic.Int32
	think atomic.Int64 // think time applied on release, in nanoseconds

	mu        sync.Mutex
	parked    []*user // modeSetup: users whose setup is done
	setupLen  int
	busy      int
	track     bool
	satSince  time.Time
	saturated time.Duration
	// held sums, while tracking, the time users spent between take and
	// release.
	held time.Duration
}

// newPool creates users base..base+n-1, all free.
func newPool(n int, base uint32, setupLen int, weighted bool) (*pool, error) {
	p := &pool{users: make([]*user, n), base: base, free: make(chan *user, n), setupLen: setupLen}
	for i := range n {
		jar, err := cookiejar.New(nil)
		if err != nil {
			return nil, err
		}
		u := &user{id: base + uint32(i), jar: jar}
		if weighted {
			u.rng = rand.New(rand.NewPCG(uint64(u.id), 0x6c6f6164))
		}
		p.users[i] = u
		p.free <- u
	}
	p.mode.Store(int32(modeLoop))
	return p, nil
}

// user returns the user with id, or nil.
func (p *pool) user(id uint32) *user {
	i := id - p.base
	if id < p.base || int(i) >= len(p.users) {
		return nil
	}
	return p.users[i]
}

// take hands out a free user, waiting until one is free or done closes.
func (p *pool) take(done <-chan struct{}) (*user, bool) {
	select {
	case u := <-p.free:
		p.acquired()
		u.takenAt = time.Now()
		return u, true
	default:
	}
	select {
	case u := <-p.free:
		p.acquired()
		u.takenAt = time.Now()
		return u, true
	case <-done:
		return nil, false
	}
}

// giveBack returns a user the targeter took but did not use.
func (p *pool) giveBack(u *user) {
	u.takenAt = time.Time{}
	p.released(0)
	p.free <- u
}

// release returns a user whose request has ended, ready after the think time.
func (p *pool) release(u *user) {
	now := time.Now()
	u.readyAt = now.Add(time.Duration(p.think.Load()))
	u.freeSince = now
	var held time.Duration
	if !u.takenAt.IsZero() {
		held, u.takenAt = now.Sub(u.takenAt), time.Time{}
	}
	p.released(held)
	if phaseMode(p.mode.Load()) == modeSetup && u.setupNext >= p.setupLen {
		p.mu.Lock()
		p.parked = append(p.parked, u)
		p.mu.Unlock()
		return
	}
	p.free <- u
}

// unpark returns the users parked during setup to the free list.
func (p *pool) unpark() {
	p.mu.Lock()
	parked := p.parked
	p.parked = nil
	p.mu.Unlock()
	for _, u := range parked {
		p.free <- u
	}
}

// acquired counts a user taken, noting when the pool became saturated.
func (p *pool) acquired() {
	p.mu.Lock()
	p.busy++
	if p.track && p.busy == len(p.users) {
		p.satSince = time.Now()
	}
	p.mu.Unlock()
}

// released counts a user returned after held in use, adding up the time
// the pool was saturated and the users were held.
func (p *pool) released(held time.Duration) {
	p.mu.Lock()
	if p.track && p.busy == len(p.users) && !p.satSince.IsZero() {
		p.saturated += time.Since(p.satSince)
		p.satSince = time.Time{}
	}
	if p.track {
		p.held += held
	}
	p.busy--
	p.mu.Unlock()
}

// trackSaturation starts (on) or stops (off) measuring saturation and the
// users' held time, and returns both as measured since it was last started.
func (p *pool) trackSaturation(on bool) (saturated, held time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !on && !p.satSince.IsZero() {
		p.saturated += time.Since(p.satSince)
	}
	total, held := p.saturated, p.held
	p.track = on
	p.saturated, p.held = 0, 0
	p.satSince = time.Time{}
	if on && p.busy == len(p.users) {
		p.satSince = time.Now()
	}
	return total, held
}

// allBusy reports whether every user is held by a request.
func (p *pool) allBusy() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.busy == len(p.users)
}
