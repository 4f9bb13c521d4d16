package balancer_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"loadharness/target/balancer"
)

func TestNewRejects(t *testing.T) {
	good := mustParse(t, "http://127.0.0.1:1")
	tests := []struct {
		name     string
		backends []*url.URL
		opts     []balancer.Option
		want     string
	}{
		{name: "no backends", want: "no backends"},
		{name: "ftp scheme", backends: []*url.URL{mustParse(t, "ftp://127.0.0.1:1")}, want: "scheme"},
		{name: "no host", backends: []*url.URL{mustParse(t, "http:///x")}, want: "no host"},
		{name: "nil url", backends: []*url.URL{nil}, want: "no url"},
		{name: "duplicate", backends: []*url.URL{good, mustParse(t, "http://127.0.0.1:1/")}, want: "already added"},
		{name: "relative health path", backends: []*url.URL{good}, opts: []balancer.Option{balancer.WithHealthPath("readyz")}, want: "health path"},
		{name: "zero interval", backends: []*url.URL{good}, opts: []balancer.Option{balancer.WithHealthInterval(0)}, want: "interval"},
		{name: "zero threshold", backends: []*url.URL{good}, opts: []balancer.Option{balancer.WithUnhealthyThreshold(0)}, want: "threshold"},
		{name: "negative timeout", backends: []*url.URL{good}, opts: []balancer.Option{balancer.WithHealthTimeout(-time.Second)}, want: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := balancer.New(tt.backends, tt.opts...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("New = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestRoundRobinSpreadsEvenly(t *testing.T) {
	backends := []*testBackend{mustBackend(t, "a"), mustBackend(t, "b"), mustBackend(t, "c")}
	b := mustBalancer(t, backends)
	const perBackend = 50
	for range perBackend * len(backends) {
		if w := get(b, "/dataset"); w.Code != http.StatusOK {
			t.Fatalf("status %d, body %s", w.Code, w.Body)
		}
	}
	for _, be := range backends {
		if got, want := be.hits.Load(), int64(perBackend); got != want {
			t.Errorf("backend %s served %d requests, want %d", be.name, got, want)
		}
		if got, want := status(t, b, be.url).Served, uint64(perBackend); got != want {
			t.Errorf("status of %s: Served = %d, want %d", be.name, got, want)
		}
	}
}

func TestClosedBackendIsOutWithinASecond(t *testing.T) {
	a, dead, c := mustBackend(t, "a"), mustBackend(t, "dead"), mustBackend(t, "c")
	b := mustBalancer(t, []*testBackend{a, dead, c})
	runHealth(t, b)

	dead.srv.Close()
	waitFor(t, time.Second, "the closed backend to be out", func() bool {
		return !status(t, b, dead.url).Healthy
	})
	for i := range 30 {
		if w := get(b, "/dataset"); w.Code != http.StatusOK {
			t.Fatalf("request %d after the backend was out: status %d, body %s", i, w.Code, w.Body)
		}
	}
	if got, want := a.hits.Load()+c.hits.Load(), int64(30); got != want {
		t.Errorf("live backends served %d requests, want %d", got, want)
	}
	if st := status(t, b, dead.url); st.LastError == "" {
		t.Errorf("status of the closed backend has no LastError: %+v", st)
	}
}

func TestReopenedBackendComesBack(t *testing.T) {
	live := mustBackend(t, "live")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	flaky := &testBackend{name: "flaky", gate: make(chan struct{}), entered: make(chan struct{}, 1)}
	first := httptest.NewUnstartedServer(flaky)
	first.Listener.Close()
	first.Listener = ln
	first.Start()
	flaky.url = mustParse(t, "http://"+addr)

	b := mustBalancer(t, []*testBackend{live, flaky})
	runHealth(t, b)

	first.Close()
	waitFor(t, time.Second, "the closed backend to be out", func() bool { return !status(t, b, flaky.url).Healthy })

	ln2, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen again on %s: %v", addr, err)
	}
	second := httptest.NewUnstartedServer(flaky)
	second.Listener.Close()
	second.Listener = ln2
	second.Start()
	t.Cleanup(second.Close)
	waitFor(t, time.Second, "the reopened backend to be back", func() bool { return status(t, b, flaky.url).Healthy })

	before := flaky.hits.Load()
	for range 10 {
		get(b, "/dataset")
	}
	if got, want := flaky.hits.Load()-before, int64(5); got != want {
		t.Errorf("reopened backend served %d of 10 requests, want %d", got, want)
	}
}

func TestNotReadyBackendIsOutAndBack(t *testing.T) {
	a, sick := mustBackend(t, "a"), mustBackend(t, "sick")
	b := mustBalancer(t, []*testBackend{a, sick})
	runHealth(t, b)

	sick.notReady.Store(true)
	waitFor(t, time.Second, "the unready backend to be out", func() bool { return !status(t, b, sick.url).Healthy })
	before := sick.hits.Load()
	for range 20 {
		get(b, "/dataset")
	}
	if got := sick.hits.Load() - before; got != 0 {
		t.Errorf("unready backend served %d requests, want 0", got)
	}
	if got, want := status(t, b, sick.url).LastError, "status 503"; !strings.Contains(got, want) {
		t.Errorf("LastError = %q, want it to contain %q", got, want)
	}

	sick.notReady.Store(false)
	waitFor(t, time.Second, "the ready backend to be back", func() bool { return status(t, b, sick.url).Healthy })
	for range 20 {
		get(b, "/dataset")
	}
	if got, want := sick.hits.Load()-before, int64(10); got != want {
		t.Errorf("recovered backend served %d of 20 requests, want %d", got, want)
	}
}

func TestAddedBackendReceivesTraffic(t *testing.T) {
	a, added := mustBackend(t, "a"), mustBackend(t, "added")
	b := mustBalancer(t, []*testBackend{a})
	if err := b.Add(added.url); err != nil {
		t.Fatalf("Add: %v", err)
	}
	if err := b.Add(added.url); !errors.Is(err, balancer.ErrDuplicateBackend) {
		t.Errorf("second Add = %v, want ErrDuplicateBackend", err)
	}
	for range 10 {
		get(b, "/dataset")
	}
	if got, want := added.hits.Load(), int64(5); got != want {
		t.Errorf("added backend served %d of 10 requests, want %d", got, want)
	}
}

func TestRemoveDrainsThenStopsTraffic(t *testing.T) {
	leaving, staying := mustBackend(t, "leaving"), mustBackend(t, "staying")
	b := mustBalancer(t, []*testBackend{leaving, staying})

	slow := make(chan *httptest.ResponseRecorder, 1)
	go func() { slow <- get(b, "/slow") }() // round robin starts at the first backend
	select {
	case <-leaving.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("slow request did not reach the leaving backend")
	}

	removed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		removed <- b.Remove(ctx, leaving.url)
	}()
	waitFor(t, time.Second, "the backend to drain", func() bool { return status(t, b, leaving.url).Draining })
	for range 10 {
		if w := get(b, "/dataset"); w.Header().Get("X-Instance") != "staying" {
			t.Fatalf("request during drain went to %q, want staying", w.Header().Get("X-Instance"))
		}
	}
	select {
	case err := <-removed:
		t.Fatalf("Remove returned %v while a request was in flight", err)
	default:
	}

	close(leaving.gate)
	if w := <-slow; w.Code != http.StatusOK || w.Body.String() != "leaving" {
		t.Errorf("in-flight request during drain: status %d body %q, want 200 leaving", w.Code, w.Body)
	}
	select {
	case err := <-removed:
		if err != nil {
			t.Fatalf("Remove = %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Remove did not return after the in-flight request finished")
	}
	if got, want := len(b.Backends()), 1; got != want {
		t.Fatalf("%d backends after Remove, want %d", got, want)
	}
	before := leaving.hits.Load()
	for range 10 {
		get(b, "/dataset")
	}
	if got := leaving.hits.Load() - before; got != 0 {
		t.Errorf("removed backend served %d requests, want 0", got)
	}
}

func TestRemoveGivesUpWhenContextEnds(t *testing.T) {
	stuck, other := mustBackend(t, "stuck"), mustBackend(t, "other")
	b := mustBalancer(t, []*testBackend{stuck, other})
	done := make(chan struct{})
	go func() { get(b, "/slow"); close(done) }()
	<-stuck.entered
	t.Cleanup(func() { close(stuck.gate); <-done })

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := b.Remove(ctx, stuck.url)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Remove = %v, want a deadline error", err)
	}
	if got, want := len(b.Backends()), 1; got != want {
		t.Errorf("%d backends after a timed-out Remove, want %d (removed anyway)", got, want)
	}
	if err := b.Remove(context.Background(), stuck.url); !errors.Is(err, balancer.ErrUnknownBackend) {
		t.Errorf("second Remove = %v, want ErrUnknownBackend", err)
	}
}

func TestDeadBackendAnswers502ThenIsOut(t *testing.T) {
	dead, live := mustBackend(t, "dead"), mustBackend(t, "live")
	dead.srv.Close()
	b := mustBalancer(t, []*testBackend{dead, live}) // no health checks: only the request notices

	w := get(b, "/dataset")
	if got, want := w.Code, http.StatusBadGateway; got != want {
		t.Fatalf("status %d, want %d", got, want)
	}
	prefix := `{"error":"backend ` + dead.url.String() + `: `
	if got := w.Body.String(); !strings.HasPrefix(got, prefix) {
		t.Errorf("body %q, want it to start with %q", got, prefix)
	}
	if status(t, b, dead.url).Healthy {
		t.Errorf("backend still healthy after a refused connection")
	}
	for i := range 10 {
		if w := get(b, "/dataset"); w.Code != http.StatusOK {
			t.Fatalf("request %d after the failure: status %d, want 200 from the live backend", i, w.Code)
		}
	}
}

func TestNoHealthyBackendAnswers503(t *testing.T) {
	dead := mustBackend(t, "dead")
	dead.srv.Close()
	b := mustBalancer(t, []*testBackend{dead}, balancer.WithFailOpen(false))
	get(b, "/dataset") // 502, and the backend is out

	w := get(b, "/dataset")
	if got, want := w.Code, http.StatusServiceUnavailable; got != want {
		t.Errorf("status %d, want %d", got, want)
	}
	if got, want := w.Body.String(), `{"error":"no healthy backend"}`+"\n"; got != want {
		t.Errorf("body %q, want %q", got, want)
	}
	if got, want := w.Header().Get("Content-Type"), "application/json"; got != want {
		t.Errorf("Content-Type %q, want %q", got, want)
	}
}

// TestFailOpenWhenEveryCheckFails: backends whose checks all fail (a
// starved machine, a broken /readyz) still get the traffic, as a cloud
// balancer does, rather than every user getting 503.
func TestFailOpenWhenEveryCheckFails(t *testing.T) {
	a, b2 := mustBackend(t, "a"), mustBackend(t, "b")
	a.notReady.Store(true)
	b2.notReady.Store(true)
	b := mustBalancer(t, []*testBackend{a, b2})
	runHealth(t, b)
	deadline := time.Now().Add(3 * time.Second)
	for anyHealthy(b) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if anyHealthy(b) {
		t.Fatal("backends with failing /readyz still healthy after 3 s")
	}
	for i := 0; i < 4; i++ {
		if w := get(b, "/dataset"); w.Code != http.StatusOK {
			t.Fatalf("request %d with every check failing: status %d, want 200 (fail open)", i, w.Code)
		}
	}
}

func anyHealthy(b *balancer.Balancer) bool {
	for _, st := range b.Backends() {
		if st.Healthy {
			return true
		}
	}
	return false
}

// TestConcurrentUse drives requests while backends come and go and health
// checks run; run it with -race. No request may fail: Remove drains.
func TestConcurrentUse(t *testing.T) {
	a, c, extra := mustBackend(t, "a"), mustBackend(t, "c"), mustBackend(t, "extra")
	// Generous timeouts: the race detector on a busy machine can make a
	// check slow, and this test is about data races, not failover time.
	b := mustBalancer(t, []*testBackend{a, c},
		balancer.WithHealthInterval(5*time.Millisecond),
		balancer.WithHealthTimeout(5*time.Second),
		balancer.WithUnhealthyThreshold(3))
	runHealth(t, b)

	const clients, perClient = 8, 100
	var wg sync.WaitGroup
	failures := make(chan string, clients*perClient)
	for range clients {
		wg.Go(func() {
			for range perClient {
				if w := get(b, "/dataset"); w.Code != http.StatusOK {
					failures <- w.Body.String()
				}
			}
		})
	}
	stop := make(chan struct{})
	churn := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				churn <- nil
				return
			default:
			}
			if err := b.Add(extra.url); err != nil {
				churn <- err
				return
			}
			_ = b.Backends()
			time.Sleep(time.Millisecond) // let requests reach the extra backend
			if err := b.Remove(context.Background(), extra.url); err != nil {
				churn <- err
				return
			}
		}
	}()
	wg.Wait()
	close(stop)
	if err := <-churn; err != nil {
		t.Fatalf("add/remove: %v", err)
	}
	close(failures)
	for f := range failures {
		t.Errorf("request failed: %s", f)
	}
	if got, want := a.hits.Load()+c.hits.Load()+extra.hits.Load(), int64(clients*perClient); got != want {
		t.Errorf("backends served %d requests, want %d", got, want)
	}
}
