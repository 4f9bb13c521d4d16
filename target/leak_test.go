package target

import (
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"
)

// fetch is one GET safe to call from any goroutine: the status, or the
// transport's error.
func fetch(hc *http.Client, url string) (int, error) {
	resp, err := hc.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// hammer sends GET paths round robin from each client at once until d has
// passed or each has sent max requests, and returns the count per status.
func hammer(t *testing.T, clients []*testClient, paths []string, d time.Duration, max int) map[int]int {
	t.Helper()
	var (
		mu     sync.Mutex
		counts = map[int]int{}
		errs   []error
		wg     sync.WaitGroup
	)
	stop := time.Now().Add(d)
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < max && time.Now().Before(stop); i++ {
				code, err := fetch(c.hc, c.base+paths[i%len(paths)])
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					counts[code]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("transport error under load: %v", err)
	}
	return counts
}

// closeIdle drops the clients' kept-alive connections, so that neither they
// nor the server's goroutines serving them count as leaks.
func closeIdle(clients []*testClient) {
	for _, c := range clients {
		c.hc.CloseIdleConnections()
	}
}

// TestRedisOutageRecoversWithoutLeaks kills Redis under load, restarts it
// on the same port, and checks that the worker recovers by itself (no
// restart) and that the outage left neither goroutines nor Redis
// connections behind.
func TestRedisOutageRecoversWithoutLeaks(t *testing.T) {
	r := mustStartRedis(t)
	cfg := redisConfig(t, r)
	cfg.Threads = 4
	// Generous, so that a loaded machine does not fail the warm-up: a dead
	// Redis refuses connections at once anyway.
	cfg.RedisTimeout = time.Second
	cfg.RequestTimeout = 5 * time.Second
	cfg.CircuitFailures = 3
	cfg.CircuitCoolDown = 300 * time.Millisecond
	cfg.Logf = func(string, ...any) {}
	s, ts := mustServer(t, cfg)
	paths := []string{"/dataset", "/map", "/readyz"}

	clients := make([]*testClient, 4)
	for i := range clients {
		clients[i] = newTestClient(t, ts.URL, true)
		clients[i].login("u1")
		if got, want := clients[i].upload(mustCSV(t, 20, int64(i))).Status, http.StatusCreated; got != want {
			t.Fatalf("upload %d: %d, want %d", i, got, want)
		}
	}
	// Warm up with the concurrency of the outage, so the pool holds what
	// this load needs before the baseline is taken.
	if counts := hammer(t, clients, paths, 5*time.Second, 25); counts[http.StatusOK] != 4*25 {
		t.Fatalf("warm-up: statuses %v, want only 200", counts)
	}
	closeIdle(clients)
	time.Sleep(200 * time.Millisecond)
	baseGoroutines := runtime.NumGoroutine()
	base := *s.rdb.PoolStats()
	t.Logf("baseline: %d goroutines, %d Redis connections (%d idle)", baseGoroutines, base.TotalConns, base.IdleConns)

	r.Kill()
	counts := hammer(t, clients, paths, 2*time.Second, 2000)
	t.Logf("during the outage: %v", counts)
	for code, n := range counts {
		if code != http.StatusServiceUnavailable {
			t.Errorf("%d answers %d with Redis down, want only 503", n, code)
		}
	}
	c := clients[0]
	if got := metricValue(t, c, `target_circuit_rejections_total{store="session"}`); got < 1 {
		t.Errorf("session circuit rejections %v, want some: the circuit never opened", got)
	}
	// Nothing piles up: once the load stops, no request holds a thread.
	if got, want := metricValue(t, c, "target_busy_threads"), 0.0; got != want {
		t.Errorf("busy threads %v after the load, want %v", got, want)
	}

	r.Restart(t)
	start := time.Now()
	waitFor(t, 15*time.Second, "login to succeed again after the restart", func() bool {
		return fetchLogin(c) == http.StatusOK
	})
	t.Logf("recovered %v after the restart", time.Since(start).Round(time.Millisecond))
	// Redis came back empty: every user starts over, and all of it works.
	for i, c := range clients {
		if got, want := c.login("u1").Status, http.StatusOK; got != want {
			t.Errorf("user %d login after recovery: %d, want %d", i, got, want)
		}
		if got, want := c.upload(mustCSV(t, 20, int64(i))).Status, http.StatusCreated; got != want {
			t.Errorf("user %d upload after recovery: %d, want %d", i, got, want)
		}
	}
	if counts := hammer(t, clients, paths, 5*time.Second, 10); counts[http.StatusOK] != 4*10 {
		t.Errorf("after recovery: statuses %v, want only 200", counts)
	}
	for _, store := range []string{storeSession, storeDataset} {
		if got, want := metricValue(t, c, `target_circuit_state{store="`+store+`"}`), 0.0; got != want {
			t.Errorf("%s circuit state %v after recovery, want %v (closed)", store, got, want)
		}
	}

	closeIdle(clients)
	const slack = 5
	var goroutines int
	var pool = *s.rdb.PoolStats()
	waitFor(t, 10*time.Second, "goroutines and Redis connections back to the baseline", func() bool {
		goroutines, pool = runtime.NumGoroutine(), *s.rdb.PoolStats()
		return goroutines <= baseGoroutines+slack &&
			pool.TotalConns == pool.IdleConns &&
			pool.TotalConns <= base.TotalConns+2
	})
	t.Logf("after recovery: %d goroutines, %d Redis connections (%d idle)", goroutines, pool.TotalConns, pool.IdleConns)
}

// fetchLogin logs c in, returning the status or 0 on a transport error.
func fetchLogin(c *testClient) int {
	resp, err := c.hc.PostForm(c.base+"/login", map[string][]string{"user": {"u1"}})
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
