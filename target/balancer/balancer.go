package balancer

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Errors Add and Remove return, to tell with errors.Is.
var (
	// ErrDuplicateBackend means the backend is already in the balancer.
	ErrDuplicateBackend = errors.New("backend already added")
	// ErrUnknownBackend means the backend is not in the balancer.
	ErrUnknownBackend = errors.New("no such backend")
)

// drainPoll is how often Remove looks whether a draining backend is idle.
const drainPoll = 5 * time.Millisecond

// Balancer spreads requests round robin over its healthy backends. It is an
// http.Handler; Run keeps its health checks going. All methods are safe for
// concurrent use.
type Balancer struct {
	healthInterval     time.Duration
	healthTimeout      time.Duration
	healthPath         string
	drainTimeout       time.Duration
	unhealthyThreshold int
	logf               func(format string, args ...any)

	transport *http.Transport // shared by every backend's proxy
	health    *http.Client
	bufs      bufferPool
	errorLog  *log.Logger

	// ready is the request path's view: the eligible backends, an immutable
	// slice replaced whenever membership or health changes, so picking a
	// backend is one atomic load and one atomic add.
	ready atomic.Pointer[[]*backend]
	// open is every backend that is not draining: the rotation when all of
	// them failed their checks and the balancer fails open.
	open     atomic.Pointer[[]*backend]
	failOpen bool
	next     atomic.Uint64

	mu  sync.Mutex
	all []*backend // every backend, in the order added
}

// New returns a balancer over backends, which all start healthy: traffic
// flows at once, and the first failed check or request takes a dead one out.
// It fails on an empty list, a URL it cannot proxy to, or a bad option.
func New(backends []*url.URL, opts ...Option) (*Balancer, error) {
	b := &Balancer{
		healthInterval:     DefaultHealthInterval,
		healthTimeout:      DefaultHealthTimeout,
		healthPath:         DefaultHealthPath,
		drainTimeout:       DefaultDrainTimeout,
		unhealthyThreshold: DefaultUnhealthyThreshold,
		failOpen:           true,
		logf:               func(string, ...any) {},
	}
	for _, opt := range opts {
		opt(b)
	}
	if err := b.validate(); err != nil {
		return nil, fmt.Errorf("new balancer: %w", err)
	}
	if len(backends) == 0 {
		return nil, errors.New("new balancer: no backends")
	}
	b.transport = newTransport()
	b.health = newHealthClient()
	b.errorLog = log.New(logfWriter(b.logf), "", 0)
	b.ready.Store(&[]*backend{})
	b.open.Store(&[]*backend{})
	for _, u := range backends {
		if err := b.Add(u); err != nil {
			return nil, fmt.Errorf("new balancer: %w", err)
		}
	}
	return b, nil
}

func (b *Balancer) validate() error {
	switch {
	case b.healthInterval <= 0:
		return fmt.Errorf("health interval must be positive, not %s", b.healthInterval)
	case b.healthTimeout <= 0:
		return fmt.Errorf("health timeout must be positive, not %s", b.healthTimeout)
	case b.drainTimeout <= 0:
		return fmt.Errorf("drain timeout must be positive, not %s", b.drainTimeout)
	case len(b.healthPath) == 0 || b.healthPath[0] != '/':
		return fmt.Errorf("health path %q must start with /", b.healthPath)
	case b.unhealthyThreshold < 1:
		return fmt.Errorf("unhealthy threshold must be 1 or more, not %d", b.unhealthyThreshold)
	case b.logf == nil:
		return errors.New("logf must not be nil")
	}
	return nil
}

// newTransport pools enough connections per backend for a load test: the
// default of 2 idle connections per host would make the balancer dial for
// most requests and bottleneck the run on its own ephemeral ports.
func newTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // never an environment proxy: backends are on our network
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// Add puts u into the rotation, healthy. It fails when u is already there
// or cannot be proxied to.
func (b *Balancer) Add(u *url.URL) error {
	if err := checkBackendURL(u); err != nil {
		return fmt.Errorf("add backend: %w", err)
	}
	u = canonical(u)
	be := &backend{url: u, key: u.String(), healthURL: u.JoinPath(b.healthPath).String()}
	be.proxy = b.newProxy(be)
	be.healthy.Store(true)

	b.mu.Lock()
	defer b.mu.Unlock()
	if b.findLocked(be.key) != nil {
		return fmt.Errorf("add backend %s: %w", be.key, ErrDuplicateBackend)
	}
	b.all = append(b.all, be)
	b.rebuildLocked()
	b.logf("balancer: backend %s added", be.key)
	return nil
}

// Remove drains u: it gets no new requests at once; Remove waits until its
// in-flight requests finish or ctx ends, then removes it either way, as a
// cloud balancer does when its deregistration delay runs out. The error says
// whether requests were still in flight.
func (b *Balancer) Remove(ctx context.Context, u *url.URL) error {
	if err := checkBackendURL(u); err != nil {
		return fmt.Errorf("remove backend: %w", err)
	}
	key := canonical(u).String()
	b.mu.Lock()
	be := b.findLocked(key)
	if be == nil {
		b.mu.Unlock()
		return fmt.Errorf("remove backend %s: %w", key, ErrUnknownBackend)
	}
	be.draining.Store(true)
	b.rebuildLocked()
	b.mu.Unlock()
	b.logf("balancer: backend %s draining (%d in flight)", key, be.inFlight.Load())

	drainErr := waitIdle(ctx, be)

	b.mu.Lock()
	b.all = slices.DeleteFunc(b.all, func(x *backend) bool { return x == be })
	b.rebuildLocked()
	b.mu.Unlock()
	if drainErr != nil {
		b.logf("balancer: backend %s removed before its requests finished: %v", key, drainErr)
		return fmt.Errorf("remove backend %s: %w", key, drainErr)
	}
	b.logf("balancer: backend %s drained and removed", key)
	return nil
}

// waitIdle waits until be has no request in flight. It is exact even
// against a request that picked be from an old snapshot: such a request
// counts itself in flight before it checks the draining flag.
func waitIdle(ctx context.Context, be *backend) error {
	t := time.NewTicker(drainPoll)
	defer t.Stop()
	for be.inFlight.Load() > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("drain: %d requests still in flight: %w", be.inFlight.Load(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// Backends returns the status of every backend, in the order added.
func (b *Balancer) Backends() []BackendStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]BackendStatus, len(b.all))
	for i, be := range b.all {
		out[i] = be.status()
	}
	return out
}

// markDown takes be out of the rotation after a failure.
func (b *Balancer) markDown(be *backend, cause error) {
	be.setLastError(cause.Error())
	if b.setHealthy(be, false) {
		b.logf("balancer: backend %s down: %v", be.key, cause)
	}
}

// markUp puts be back into the rotation after a passing check.
func (b *Balancer) markUp(be *backend) {
	if b.setHealthy(be, true) {
		b.logf("balancer: backend %s up", be.key)
	}
}

// setHealthy flips be's health and publishes the new snapshot under b.mu,
// so that whoever sees the flag through Backends also sees the rotation it
// implies. It reports whether the flag changed.
func (b *Balancer) setHealthy(be *backend, healthy bool) bool {
	if be.healthy.Load() == healthy {
		return false // the common case, a passing check of a healthy backend: no lock
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if be.healthy.Swap(healthy) == healthy {
		return false
	}
	b.rebuildLocked()
	return true
}

// rebuildLocked publishes a new snapshot of the eligible backends; the
// flags it reads change only under b.mu.
func (b *Balancer) rebuildLocked() {
	ready := make([]*backend, 0, len(b.all))
	open := make([]*backend, 0, len(b.all))
	for _, be := range b.all {
		if be.eligible() {
			ready = append(ready, be)
		}
		if !be.draining.Load() {
			open = append(open, be)
		}
	}
	b.ready.Store(&ready)
	b.open.Store(&open)
}

func (b *Balancer) findLocked(key string) *backend {
	for _, be := range b.all {
		if be.key == key {
			return be
		}
	}
	return nil
}

// snapshot returns every backend, for the health checks.
func (b *Balancer) snapshot() []*backend {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.all)
}
