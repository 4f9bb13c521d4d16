package stack

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Balancer is the balancer in front of a stack's instances as the harness
// drives it: `target lb` (BuiltinBalancer) or a real HAProxy (package
// haproxy). Backends are named by their base URLs.
type Balancer interface {
	// Add registers backend; its health checks bring it into rotation.
	Add(ctx context.Context, backend string) error
	// Remove drains backend (its requests in flight finish) and removes it.
	Remove(ctx context.Context, backend string) error
	// Health says, for every backend held, whether it takes requests.
	Health(ctx context.Context) (map[string]bool, error)
}

// BuiltinBalancer is a `target lb` at URL, driven through /lb/backends.
type BuiltinBalancer struct{ URL string }

var _ Balancer = BuiltinBalancer{}

// Add registers backend (POST /lb/backends).
func (b BuiltinBalancer) Add(ctx context.Context, backend string) error {
	return BalancerBackends(ctx, b.URL, http.MethodPost, backend)
}

// Remove drains and removes backend (DELETE /lb/backends).
func (b BuiltinBalancer) Remove(ctx context.Context, backend string) error {
	return BalancerBackends(ctx, b.URL, http.MethodDelete, backend)
}

// Health reads GET /lb/backends.
func (b BuiltinBalancer) Health(ctx context.Context) (map[string]bool, error) {
	return BalancerHealth(ctx, b.URL)
}

// BalancerBackends asks a `target lb` to add (POST) or drain and remove (DELETE)
// a backend, through its /lb/backends endpoint.
func BalancerBackends(ctx context.Context, lbURL, method, backend string) error {
	var req *http.Request
	var err error
	switch method {
	case http.MethodPost:
		form := url.Values{"url": {backend}}
		req, err = http.NewRequestWithContext(ctx, method, lbURL+"/lb/backends", strings.NewReader(form.Encode()))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	case http.MethodDelete:
		req, err = http.NewRequestWithContext(ctx, method, lbURL+"/lb/backends?url="+url.QueryEscape(backend), nil)
	default:
		return fmt.Errorf("balancer backends: unknown method %s", method)
	}
	if err != nil {
		return fmt.Errorf("balancer backends: %w", err)
	}
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return fmt.Errorf("balancer backends: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("balancer backends: %s %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}
