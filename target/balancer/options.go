package balancer

import "time"

// Defaults of the options.
const (
	// DefaultHealthInterval is the time between two rounds of active checks;
	// with DefaultUnhealthyThreshold a dead backend (connection refused) is
	// out within about half a second, and a request that meets it takes it
	// out at once.
	DefaultHealthInterval = 250 * time.Millisecond
	// DefaultHealthTimeout bounds one health check. It is generous because a
	// CPU-starved machine (a load test on two cores) answers slowly without
	// being dead.
	DefaultHealthTimeout = 500 * time.Millisecond
	// DefaultHealthPath is the target's readiness endpoint.
	DefaultHealthPath = "/readyz"
	// DefaultUnhealthyThreshold is how many consecutive failed checks take a
	// backend out: two, so one slow answer on a busy machine does not, while
	// a dead backend is still out within a second.
	DefaultUnhealthyThreshold = 2
	// DefaultDrainTimeout bounds the drain of DELETE /lb/backends, like a
	// cloud balancer's deregistration delay.
	DefaultDrainTimeout = 30 * time.Second
)

// Option configures a Balancer in New.
type Option func(*Balancer)

// WithHealthInterval sets the time between two rounds of active checks.
func WithHealthInterval(d time.Duration) Option {
	return func(b *Balancer) { b.healthInterval = d }
}

// WithHealthTimeout sets how long one health check may take.
func WithHealthTimeout(d time.Duration) Option {
	return func(b *Balancer) { b.healthTimeout = d }
}

// WithHealthPath sets the path checked on every backend; it must start with "/".
func WithHealthPath(p string) Option {
	return func(b *Balancer) { b.healthPath = p }
}

// WithUnhealthyThreshold sets how many consecutive active checks must fail
// before a backend is out; above 1 it keeps a saturated but live backend in
// the rotation at the price of slower failover. A failed proxied request
// still takes a backend out at once.
func WithUnhealthyThreshold(n int) Option {
	return func(b *Balancer) { b.unhealthyThreshold = n }
}

// WithDrainTimeout bounds how long DELETE /lb/backends waits for a
// backend's in-flight requests before removing it anyway.
func WithDrainTimeout(d time.Duration) Option {
	return func(b *Balancer) { b.drainTimeout = d }
}

// WithLogf sets where the balancer writes backend state changes and proxy
// failures; by default it writes nothing.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(b *Balancer) { b.logf = logf }
}

// WithFailOpen says what happens when every backend has failed its checks:
// true (the default, as cloud balancers do) sends requests to all of them
// anyway, since "all down at once" is more often the checks starving than
// the fleet dying; false answers 503 at once.
func WithFailOpen(on bool) Option {
	return func(b *Balancer) { b.failOpen = on }
}
