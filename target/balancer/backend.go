package balancer

import (
	"net/http/httputil"
	"net/url"
	"sync"
	"sync/atomic"
)

// BackendStatus is what the balancer knows of one backend.
type BackendStatus struct {
	// URL is the backend's canonical address.
	URL string `json:"url"`
	// Healthy is false from a failed check or proxied request until the
	// next passing check.
	Healthy bool `json:"healthy"`
	// Draining is true while Remove waits for the backend's requests.
	Draining bool `json:"draining"`
	// InFlight counts requests being proxied to the backend now.
	InFlight int64 `json:"in_flight"`
	// Served counts requests sent to the backend since it was added.
	Served uint64 `json:"served"`
	// LastError is the last failure seen, kept after recovery for post-mortems.
	LastError string `json:"last_error,omitempty"`
}

// backend is one upstream. Its counters and flags are atomics because the
// request path reads and bumps them without a lock.
type backend struct {
	url       *url.URL
	key       string
	healthURL string
	proxy     *httputil.ReverseProxy

	healthy  atomic.Bool
	draining atomic.Bool
	inFlight atomic.Int64
	served   atomic.Uint64
	// failedChecks counts consecutive failed active checks.
	failedChecks atomic.Int32

	mu      sync.Mutex
	lastErr string
}

// eligible reports whether new requests may go to the backend.
func (be *backend) eligible() bool { return be.healthy.Load() && !be.draining.Load() }

func (be *backend) setLastError(msg string) {
	be.mu.Lock()
	be.lastErr = msg
	be.mu.Unlock()
}

func (be *backend) status() BackendStatus {
	be.mu.Lock()
	lastErr := be.lastErr
	be.mu.Unlock()
	return BackendStatus{
		URL:       be.key,
		Healthy:   be.healthy.Load(),
		Draining:  be.draining.Load(),
		InFlight:  be.inFlight.Load(),
		Served:    be.served.Load(),
		LastError: lastErr,
	}
}
