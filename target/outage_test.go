package target

import (
	"net/http"
	"testing"
	"time"
)

// TestRedisKilledMidTest kills Redis under a running server: readiness and
// data endpoints must answer 503 within the request timeout, never hang.
func TestRedisKilledMidTest(t *testing.T) {
	r := mustStartRedis(t)
	cfg := redisConfig(t, r)
	cfg.RedisTimeout = 200 * time.Millisecond
	cfg.RequestTimeout = time.Second
	_, ts := mustServer(t, cfg)
	c := newTestClient(t, ts.URL, true)
	c.login("u1")
	if got, want := c.upload(mustCSV(t, 30, 6)).Status, http.StatusCreated; got != want {
		t.Fatalf("upload: status %d, want %d", got, want)
	}
	if got, want := c.get("/readyz").Status, http.StatusOK; got != want {
		t.Fatalf("readyz with Redis up: %d, want %d", got, want)
	}

	r.Kill()

	// The margin covers scheduling on a loaded 2-core machine, not Redis.
	limit := cfg.RequestTimeout + 500*time.Millisecond
	cases := []struct {
		name      string
		send      func() reply
		wantError string
	}{
		{"readyz", func() reply { return c.get("/readyz") }, ""},
		{"dataset", func() reply { return c.get("/dataset") }, errSessionUnavailable},
		{"map", func() reply { return c.get("/map") }, errSessionUnavailable},
		{"login", func() reply { return c.login("u1") }, errSessionUnavailable},
		{"upload", func() reply { return c.upload(mustCSV(t, 5, 6)) }, errSessionUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			got := tc.send()
			elapsed := time.Since(start)
			if got.Status != http.StatusServiceUnavailable {
				t.Errorf("status %d, want 503: %s", got.Status, got.Body)
			}
			if elapsed > limit {
				t.Errorf("answered after %v, want within %v", elapsed, limit)
			}
			if tc.wantError != "" {
				if msg := got.JSON(t)["error"]; msg != tc.wantError {
					t.Errorf("error %v, want %q", msg, tc.wantError)
				}
			}
		})
	}
	if got, want := c.get("/healthz").Status, http.StatusOK; got != want {
		t.Errorf("healthz without Redis: %d, want %d (alive, just not ready)", got, want)
	}
	if got := metricValue(t, c, `target_session_store_operations_total{op="load",result="error"}`); got < 1 {
		t.Errorf("session load errors = %v, want >= 1", got)
	}
}

// TestRedisDownAtStart starts a server whose Redis is not there: it must
// come up, report not ready and answer 503 rather than fail to start.
func TestRedisDownAtStart(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RedisAddr = "127.0.0.1:1" // nothing listens on port 1
	cfg.RedisTimeout = 100 * time.Millisecond
	cfg.RequestTimeout = 500 * time.Millisecond
	_, ts := mustServer(t, cfg)
	c := newTestClient(t, ts.URL, true)
	if got, want := c.get("/readyz").Status, http.StatusServiceUnavailable; got != want {
		t.Errorf("readyz: %d, want %d", got, want)
	}
	if got, want := c.login("u1").Status, http.StatusServiceUnavailable; got != want {
		t.Errorf("login: %d, want %d", got, want)
	}
}

// TestDatasetStoreDown keeps sessions in memory and data sets in Redis, then
// kills Redis: the session is fine, its data set unreachable.
func TestDatasetStoreDown(t *testing.T) {
	r := mustStartRedis(t)
	cfg := redisConfig(t, r)
	cfg.SessionStore = SessionStoreMemory
	cfg.RedisTimeout = 200 * time.Millisecond
	cfg.RequestTimeout = time.Second
	_, ts := mustServer(t, cfg)
	c := newTestClient(t, ts.URL, true)
	c.login("u1")
	if got, want := c.upload(mustCSV(t, 10, 6)).Status, http.StatusCreated; got != want {
		t.Fatalf("upload: status %d, want %d", got, want)
	}
	r.Kill()
	start := time.Now()
	got := c.get("/dataset")
	if elapsed := time.Since(start); elapsed > cfg.RequestTimeout+500*time.Millisecond {
		t.Errorf("answered after %v", elapsed)
	}
	if got.Status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", got.Status, got.Body)
	}
	if msg := got.JSON(t)["error"]; msg != errDatasetUnavailable {
		t.Errorf("error %v, want %q", msg, errDatasetUnavailable)
	}
	if got.Header.Get("X-Dataset-Id") == "" {
		t.Error("no X-Dataset-Id: the session still names its data set")
	}
}
