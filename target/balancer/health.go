package balancer

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxHealthBody is how much of a failing check's body goes into LastError.
const maxHealthBody = 256

// newHealthClient opens a fresh connection per check, as a cloud balancer
// does, so a check proves the backend still accepts connections, and follows
// no redirect: a redirect is not ready.
func newHealthClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Run checks every backend at once, every health interval, until ctx is
// done, then returns nil. A failing check takes a backend out at once; one
// passing check puts it back. Call it once.
func (b *Balancer) Run(ctx context.Context) error {
	t := time.NewTicker(b.healthInterval)
	defer t.Stop()
	for {
		b.checkAll(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// checkAll runs one round; rounds never overlap, so a slow backend cannot
// pile checks up.
func (b *Balancer) checkAll(ctx context.Context) {
	var wg sync.WaitGroup
	for _, be := range b.snapshot() {
		wg.Go(func() { b.checkOne(ctx, be) })
	}
	wg.Wait()
}

func (b *Balancer) checkOne(ctx context.Context, be *backend) {
	cctx, cancel := context.WithTimeout(ctx, b.healthTimeout)
	defer cancel()
	err := b.probe(cctx, be)
	if ctx.Err() != nil {
		return // interrupted by shutdown: says nothing of the backend
	}
	if err != nil {
		err = fmt.Errorf("health check: %w", err)
		if int(be.failedChecks.Add(1)) < b.unhealthyThreshold {
			be.setLastError(err.Error())
			return
		}
		b.markDown(be, err)
		return
	}
	be.failedChecks.Store(0)
	b.markUp(be)
}

// probe GETs be's health path: any 2xx passes.
func (b *Balancer) probe(ctx context.Context, be *backend) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, be.healthURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "loadharness-balancer-health")
	resp, err := b.health.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxHealthBody))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}
