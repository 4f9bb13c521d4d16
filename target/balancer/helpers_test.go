package balancer_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"loadharness/target/balancer"
)

// testBackend is an httptest server that counts the requests it serves,
// names itself in X-Instance and can be made not ready.
type testBackend struct {
	name     string
	srv      *httptest.Server
	url      *url.URL
	hits     atomic.Int64
	notReady atomic.Bool
	// gate, when set, holds /slow requests until it is closed.
	gate chan struct{}
	// entered receives once per /slow request that reached the handler.
	entered chan struct{}
}

// mustBackend starts a test backend, closed when the test ends.
func mustBackend(tb testing.TB, name string) *testBackend {
	tb.Helper()
	be := &testBackend{name: name, gate: make(chan struct{}), entered: make(chan struct{}, 16)}
	be.srv = httptest.NewServer(be)
	tb.Cleanup(be.srv.Close)
	be.url = mustParse(tb, be.srv.URL)
	return be
}

func (be *testBackend) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Instance", be.name)
	switch r.URL.Path {
	case "/readyz":
		if be.notReady.Load() {
			http.Error(w, `{"error":"not ready"}`, http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "ready")
		return
	case "/slow":
		be.entered <- struct{}{}
		select {
		case <-be.gate:
		case <-time.After(10 * time.Second):
		}
	}
	if _, err := io.Copy(io.Discard, r.Body); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	be.hits.Add(1)
	fmt.Fprint(w, be.name)
}

func mustParse(tb testing.TB, s string) *url.URL {
	tb.Helper()
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatalf("parse %q: %v", s, err)
	}
	return u
}

// mustBalancer returns a balancer over the backends' URLs.
func mustBalancer(tb testing.TB, backends []*testBackend, opts ...balancer.Option) *balancer.Balancer {
	tb.Helper()
	urls := make([]*url.URL, len(backends))
	for i, be := range backends {
		urls[i] = be.url
	}
	b, err := balancer.New(urls, append([]balancer.Option{balancer.WithLogf(tb.Logf)}, opts...)...)
	if err != nil {
		tb.Fatalf("New: %v", err)
	}
	return b
}

// runHealth runs b's health checks until the test ends.
func runHealth(tb testing.TB, b *balancer.Balancer) {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				tb.Errorf("Run = %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			tb.Errorf("Run did not return within 5s of cancel")
		}
	})
}

// get sends a GET for path through b's ServeHTTP.
func get(b http.Handler, path string) *httptest.ResponseRecorder {
	return do(b, httptest.NewRequest(http.MethodGet, path, nil))
}

func do(b http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	b.ServeHTTP(w, r)
	return w
}

// status returns b's status of the backend at u.
func status(tb testing.TB, b *balancer.Balancer, u *url.URL) balancer.BackendStatus {
	tb.Helper()
	for _, st := range b.Backends() {
		if st.URL == strings.TrimRight(u.String(), "/") {
			return st
		}
	}
	tb.Fatalf("backend %s not in %+v", u, b.Backends())
	return balancer.BackendStatus{}
}

// waitFor polls cond every 10ms until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readAll reads a body for a test that only needs its text.
func readAll(tb testing.TB, r io.Reader) string {
	tb.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		tb.Fatalf("read body: %v", err)
	}
	return string(b)
}
