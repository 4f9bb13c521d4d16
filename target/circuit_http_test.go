package target

import (
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// startHangingRedis listens on a loopback port, accepts connections and
// never answers: a Redis that hangs rather than refuses, so that every
// command costs the whole Redis timeout. Cleanup closes it all.
func startHangingRedis(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		_ = ln.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String()
}

// hangingConfig is a Config whose Redis hangs; the circuit opens after 3
// failures and stays open for the whole test.
func hangingConfig(tb testing.TB) Config {
	cfg := DefaultConfig()
	cfg.RedisAddr = startHangingRedis(tb)
	cfg.DataDir = tb.TempDir()
	cfg.RedisTimeout = 100 * time.Millisecond
	cfg.RequestTimeout = 3 * time.Second
	cfg.CircuitFailures = 3
	cfg.CircuitCoolDown = time.Hour
	cfg.Logf = func(string, ...any) {}
	return cfg
}

// TestSessionCircuitOpensWhileRedisHangs checks the circuit in front of the
// session store: after CircuitFailures timed-out loads every data request is
// answered 503 without a Redis round trip, readiness says why, and the
// probes that bypass the session keep working.
func TestSessionCircuitOpensWhileRedisHangs(t *testing.T) {
	cfg := hangingConfig(t)
	_, ts := mustServer(t, cfg)
	c := newTestClient(t, ts.URL, true)
	token := randomToken(t) // well-formed, so the session is looked up
	for i := range cfg.CircuitFailures {
		got := withToken(t, http.MethodGet, ts.URL+"/dataset", token)
		if got.Status != http.StatusServiceUnavailable {
			t.Fatalf("request %d with Redis hanging: status %d, want 503: %s", i, got.Status, got.Body)
		}
	}
	if got, want := metricValue(t, c, `target_circuit_state{store="session"}`), 2.0; got != want {
		t.Fatalf("session circuit state %v after %d failures, want %v (open)", got, cfg.CircuitFailures, want)
	}
	loadErrors := metricValue(t, c, `target_session_store_operations_total{op="load",result="error"}`)
	if got, want := loadErrors, float64(cfg.CircuitFailures); got != want {
		t.Errorf("session load errors %v, want %v", got, want)
	}

	const refused = 20
	for i := range refused {
		var got reply
		if i%2 == 0 {
			got = withToken(t, http.MethodGet, ts.URL+"/map", token)
		} else {
			got = c.login("u1") // no cookie: refused before the handler runs
		}
		if got.Status != http.StatusServiceUnavailable {
			t.Fatalf("request %d with the circuit open: status %d, want 503", i, got.Status)
		}
		if msg := got.JSON(t)["error"]; msg != errSessionUnavailable {
			t.Fatalf("request %d: error %v, want %q", i, msg, errSessionUnavailable)
		}
	}
	if got, want := metricValue(t, c, `target_session_store_operations_total{op="load",result="error"}`), loadErrors; got != want {
		t.Errorf("session load errors went from %v to %v: the open circuit still called Redis", want, got)
	}
	if got := metricValue(t, c, `target_session_store_operations_total{op="commit",result="error"}`); got > 0 {
		t.Errorf("%v commits tried with the circuit open", got)
	}
	if got, want := metricValue(t, c, `target_circuit_rejections_total{store="session"}`), float64(refused); got != want {
		t.Errorf("session rejections %v, want %v", got, want)
	}
	if got, want := metricValue(t, c, `target_circuit_state{store="dataset"}`), 0.0; got != want {
		t.Errorf("dataset circuit state %v, want %v: it was never called", got, want)
	}

	ready := c.get("/readyz")
	if ready.Status != http.StatusServiceUnavailable {
		t.Errorf("readyz with the circuit open: %d, want 503", ready.Status)
	}
	if msg, _ := ready.JSON(t)["error"].(string); !strings.Contains(msg, "circuit open") {
		t.Errorf("readyz error %q, want it to say the circuit is open", msg)
	}
	if got, want := c.get("/healthz").Status, http.StatusOK; got != want {
		t.Errorf("healthz: %d, want %d (alive, not ready)", got, want)
	}
}

// TestDatasetCircuitOpensWhileRedisHangs keeps sessions in memory and data
// sets in a hanging Redis: the data-set circuit opens, uploads are refused
// before their body is parsed, and the sessions themselves are untouched.
func TestDatasetCircuitOpensWhileRedisHangs(t *testing.T) {
	cfg := hangingConfig(t)
	cfg.SessionStore = SessionStoreMemory
	_, ts := mustServer(t, cfg)
	c := newTestClient(t, ts.URL, true)
	if got, want := c.login("u1").Status, http.StatusOK; got != want {
		t.Fatalf("login: %d, want %d", got, want)
	}
	csv := mustCSV(t, 10, 3)
	for i := range cfg.CircuitFailures {
		got := c.upload(csv)
		if got.Status != http.StatusServiceUnavailable {
			t.Fatalf("upload %d: status %d, want 503: %s", i, got.Status, got.Body)
		}
	}
	if got, want := metricValue(t, c, `target_circuit_state{store="dataset"}`), 2.0; got != want {
		t.Fatalf("dataset circuit state %v, want %v (open)", got, want)
	}
	putErrors := metricValue(t, c, `target_dataset_store_operations_total{op="put",result="error"}`)
	for i := range 5 {
		got := c.upload(csv)
		if got.Status != http.StatusServiceUnavailable {
			t.Fatalf("upload %d with the circuit open: status %d, want 503", i, got.Status)
		}
		if msg := got.JSON(t)["error"]; msg != errDatasetUnavailable {
			t.Fatalf("error %v, want %q", msg, errDatasetUnavailable)
		}
	}
	if got, want := metricValue(t, c, `target_dataset_store_operations_total{op="put",result="error"}`), putErrors; got != want {
		t.Errorf("data-set put errors went from %v to %v: the open circuit still called Redis", want, got)
	}
	// The session is fine: it just has no data set.
	if got, want := c.get("/dataset").Status, http.StatusNotFound; got != want {
		t.Errorf("dataset: %d, want %d", got, want)
	}
	if msg, _ := c.get("/readyz").JSON(t)["error"].(string); !strings.Contains(msg, errDatasetUnavailable) {
		t.Errorf("readyz error %q, want it to name the data-set store", msg)
	}
}
