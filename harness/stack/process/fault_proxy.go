package process

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2"
	"github.com/rs/zerolog"
	zlog "github.com/rs/zerolog/log"

	"loadharness/scenarios/suite"
)

// redisFaults is an embedded toxiproxy proxy between the target's instances
// and Redis: the instances are given its address, and a fault is a toxic on
// it (or the proxy stopped, for down).
type redisFaults struct {
	proxy *toxiproxy.Proxy
	// remove takes a toxic off the proxy (its ToxicCollection's, but for
	// unit tests of a removal that fails).
	remove func(ctx context.Context, name string) error

	mu     sync.Mutex
	active map[string]bool // toxic names on, by fault kind
	down   bool
}

var quietToxics sync.Once

// startRedisFaults starts the proxy on a free loopback port in front of
// upstream.
func startRedisFaults(upstream string) (*redisFaults, error) {
	// toxiproxy's toxics log through zerolog's global logger at trace
	// level, onto the harness's stderr; nothing else here uses zerolog.
	quietToxics.Do(func() { zlog.Logger = zerolog.Nop() })
	server := toxiproxy.NewServer(toxiproxy.NewMetricsContainer(nil), zerolog.Nop())
	proxy := toxiproxy.NewProxy(server, "redis", "127.0.0.1:0", upstream)
	if err := proxy.Start(); err != nil {
		return nil, fmt.Errorf("redis fault proxy: %w", err)
	}
	return &redisFaults{proxy: proxy, remove: proxy.Toxics.RemoveToxic, active: map[string]bool{}}, nil
}

// Addr is where the instances reach Redis through the proxy.
func (r *redisFaults) Addr() string { return r.proxy.Listen }

// toxic is the toxiproxy toxic that makes a fault, as its JSON API takes it.
type toxic struct {
	Name       string         `json:"name"`
	Type       string         `json:"type"`
	Stream     string         `json:"stream"`
	Toxicity   float64        `json:"toxicity"`
	Attributes map[string]any `json:"attributes"`
}

// toxicFor maps a fault to its toxic. Latency and bandwidth act on Redis's
// answers (downstream): that is what a slow or thin Redis looks like to the
// target.
func toxicFor(f suite.Fault) (toxic, error) {
	t := toxic{Name: "fault-" + f.Kind, Stream: "downstream", Toxicity: 1}
	switch f.Kind {
	case suite.FaultLatency:
		t.Type = "latency"
		t.Attributes = map[string]any{"latency": f.Latency.Milliseconds(), "jitter": f.Jitter.Milliseconds()}
	case suite.FaultBandwidth:
		t.Type = "bandwidth"
		t.Attributes = map[string]any{"rate": f.KBps}
	case suite.FaultResetPeer:
		t.Type = "reset_peer"
		t.Stream = "upstream"
		t.Attributes = map[string]any{"timeout": f.Timeout.Milliseconds()}
	case suite.FaultTimeout:
		t.Type = "timeout"
		t.Attributes = map[string]any{"timeout": f.Timeout.Milliseconds()}
	default:
		return toxic{}, fmt.Errorf("fault %q has no toxic", f.Kind)
	}
	return t, nil
}

// Set switches f on, or off when f.Off. Switching off what is not on does
// nothing, so clearing after a scenario is always safe.
func (r *redisFaults) Set(ctx context.Context, f suite.Fault) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if f.Kind == suite.FaultDown {
		switch {
		case !f.Off && !r.down:
			r.proxy.Stop() // closes the listener and every connection
			r.down = true
		case f.Off && r.down:
			if err := r.proxy.Start(); err != nil {
				return fmt.Errorf("redis fault proxy: back up: %w", err)
			}
			r.down = false
		}
		return nil
	}
	t, err := toxicFor(f)
	if err != nil {
		return err
	}
	if f.Off {
		if !r.active[t.Name] {
			return nil
		}
		// It stays marked on until it is gone: a fault believed off but
		// still on would skew every later measurement.
		if err := r.removeWithRetries(ctx, t.Name); err != nil {
			return fmt.Errorf("redis fault %s off: %w", f.Kind, err)
		}
		delete(r.active, t.Name)
		return nil
	}
	if r.active[t.Name] {
		return fmt.Errorf("redis fault %s is already on", f.Kind)
	}
	body, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("redis fault %s: %w", f.Kind, err)
	}
	if _, err := r.proxy.Toxics.AddToxicJson(bytes.NewReader(body)); err != nil {
		return fmt.Errorf("redis fault %s: %w", f.Kind, err)
	}
	r.active[t.Name] = true
	return nil
}

// removeAttempts bounds the tries of a toxic's removal; the waits between
// them double from removeBackoff.
const (
	removeAttempts = 4
	removeBackoff  = 50 * time.Millisecond
)

// removeWithRetries removes a toxic, trying again after a failure.
func (r *redisFaults) removeWithRetries(ctx context.Context, name string) error {
	var err error
	wait := removeBackoff
	for attempt := 1; ; attempt++ {
		if err = r.remove(ctx, name); err == nil || r.proxy.Toxics.GetToxic(name) == nil {
			return nil
		}
		if attempt == removeAttempts {
			return fmt.Errorf("%d attempts: %w", attempt, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d attempts: %w (then %v)", attempt, err, context.Cause(ctx))
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// Clear switches every fault off and returns what it switched off; its
// error says what is still on after that, checked on the proxy itself.
func (r *redisFaults) Clear(ctx context.Context) ([]string, error) {
	r.mu.Lock()
	var kinds []string
	for name := range r.active {
		kinds = append(kinds, name[len("fault-"):])
	}
	if r.down {
		kinds = append(kinds, suite.FaultDown)
	}
	r.mu.Unlock()
	var errs []error
	for _, k := range kinds {
		errs = append(errs, r.Set(ctx, suite.Fault{Kind: k, Off: true}))
	}
	if left := r.proxy.Toxics.GetToxicArray(); len(left) > 0 {
		var on []string
		for _, k := range []string{suite.FaultLatency, suite.FaultBandwidth, suite.FaultResetPeer, suite.FaultTimeout} {
			if r.proxy.Toxics.GetToxic("fault-"+k) != nil {
				on = append(on, k)
			}
		}
		errs = append(errs, fmt.Errorf("redis fault proxy: %d toxic(s) still on after clearing %v", len(left), on))
	}
	r.mu.Lock()
	if r.down {
		errs = append(errs, errors.New("redis fault proxy: still down after clearing"))
	}
	r.mu.Unlock()
	return kinds, errors.Join(errs...)
}

// Close stops the proxy.
func (r *redisFaults) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.proxy.Stop()
}
