package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// balancerStatus is the answer of a `target lb` to GET /lb/backends.
type balancerStatus struct {
	Backends []struct {
		URL     string `json:"url"`
		Healthy bool   `json:"healthy"`
	} `json:"backends"`
}

// parseBalancerStatus reads a GET /lb/backends body and returns which backends the
// balancer holds healthy.
func parseBalancerStatus(r io.Reader) (map[string]bool, error) {
	var st balancerStatus
	if err := json.NewDecoder(io.LimitReader(r, 1<<20)).Decode(&st); err != nil {
		return nil, fmt.Errorf("balancer status: %w", err)
	}
	healthy := make(map[string]bool, len(st.Backends))
	for _, b := range st.Backends {
		healthy[b.URL] = b.Healthy
	}
	return healthy, nil
}

// BalancerHealth asks the balancer which of its backends are healthy.
func BalancerHealth(ctx context.Context, lbURL string) (map[string]bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, lbURL+"/lb/backends", nil)
	if err != nil {
		return nil, fmt.Errorf("balancer status: %w", err)
	}
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("balancer status: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("balancer status: %s", resp.Status)
	}
	return parseBalancerStatus(resp.Body)
}

// WaitBackendsHealthy polls the balancer until its health checks hold every
// one of want healthy, or ctx ends.
func WaitBackendsHealthy(ctx context.Context, lbURL string, want ...string) error {
	return WaitBalancerHealthy(ctx, BuiltinBalancer{URL: lbURL}, want...)
}

// WaitBalancerHealthy polls b until its health checks hold every one of
// want healthy, or ctx ends.
func WaitBalancerHealthy(ctx context.Context, b Balancer, want ...string) error {
	var last error
	for {
		healthy, err := b.Health(ctx)
		if err == nil {
			var missing []string
			for _, u := range want {
				if !healthy[u] {
					missing = append(missing, u)
				}
			}
			if len(missing) == 0 {
				return nil
			}
			err = fmt.Errorf("not healthy yet: %v", missing)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the balancer's backends: %w (last: %v)", ctx.Err(), last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
