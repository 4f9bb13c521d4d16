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
