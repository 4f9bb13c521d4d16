package target

import (
	"context"
	"io"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestServeMetricsCountsNoScrape scrapes a worker's own metrics listener
// many times: the series are those of the main /metrics, the worker names
// itself, and no scrape shows in the request counters a gate reads, where
// a scrape of the main /metrics does.
func TestServeMetricsCountsNoScrape(t *testing.T) {
	cfg := memoryConfig(t)
	cfg.Instance, cfg.Worker = "instance-7", 2
	s, base := mustServe(t, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.ServeMetrics(ctx, ln) }()
	own := "http://" + ln.Addr().String()

	hc := &http.Client{Timeout: 5 * time.Second}
	get := func(url string) (*http.Response, string) {
		t.Helper()
		resp, err := hc.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		return resp, string(body)
	}
	for range 5 {
		get(own + "/metrics")
	}
	resp, body := get(own + "/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("own /metrics: %s", resp.Status)
	}
	if got := resp.Header.Get(headerInstance) + "/" + resp.Header.Get(headerWorker); got != "instance-7/2" {
		t.Errorf("own /metrics answered as %q, want instance-7/2", got)
	}
	for _, name := range []string{"process_cpu_seconds_total", "target_worker_restarts_total", "go_goroutines"} {
		if !strings.Contains(body, "\n"+name+" ") {
			t.Errorf("own /metrics has no %s", name)
		}
	}
	if strings.Contains(body, "target_requests_total{") {
		t.Errorf("six scrapes of the own listener were counted as requests:\n%s", grepLines(body, "target_requests_total"))
	}
	if resp, _ := get(own + "/healthz"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("own listener answered /healthz with %s, want 404: it serves metrics only", resp.Status)
	}

	c := newTestClient(t, "http://"+base, false)
	c.get("/metrics")
	if got, want := metricValue(t, c, `target_requests_total{code="200",route="/metrics"}`), 1.0; got != want {
		t.Errorf("main /metrics scrapes counted %v, want %v (the main listener counts as before)", got, want)
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("ServeMetrics: %v, want nil after a clean shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("ServeMetrics did not return after its context ended")
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// mustFreePorts returns the first of n consecutive loopback ports nobody
// listens on right now.
func mustFreePorts(tb testing.TB, n int) int {
	tb.Helper()
	for range 50 {
		first, free := freePort(tb), true
		for k := 1; k < n && free; k++ {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(first+k))
			if err != nil {
				free = false
				break
			}
			ln.Close()
		}
		if free && first+n-1 <= 65535 {
			return first
		}
	}
	tb.Fatalf("found no %d consecutive free ports in 50 tries", n)
	return 0
}

// TestEveryWorkerHasItsOwnMetricsPort runs `target serve --workers 3
// --metrics-listen`: each worker's port answers for that worker on every
// fresh connection, and the counters read there, one port per worker, add
// up to exactly the requests sent to the shared port, which no series of
// scrapes through the shared port could promise.
func TestEveryWorkerHasItsOwnMetricsPort(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/target and runs it; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("prefork workers need Linux (SO_REUSEPORT, parent-death signal)")
	}
	bin := mustBuildTarget(t)
	const workers = 3
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	first := mustFreePorts(t, workers)
	mustStartProcess(t, bin, "serve", "--listen", addr, "--workers", strconv.Itoa(workers),
		"--metrics-listen", "127.0.0.1:"+strconv.Itoa(first), "--instance", "i1",
		"--session-store", SessionStoreMemory, "--dataset-store", DatasetStoreSession,
		"--data-dir", t.TempDir(), "--shutdown-timeout", "2s")
	own := func(w int) string { return "http://127.0.0.1:" + strconv.Itoa(first+w-1) + "/metrics" }
	for w := 1; w <= workers; w++ {
		waitFor(t, 20*time.Second, "worker "+strconv.Itoa(w)+"'s metrics port", func() bool {
			resp := probe(own(w))
			return resp != nil && resp.StatusCode == http.StatusOK
		})
		for range 5 {
			resp := probe(own(w))
			if resp == nil || resp.Header.Get(headerWorker) != strconv.Itoa(w) {
				t.Fatalf("metrics port of worker %d answered %v", w, resp)
			}
		}
	}

	// Fresh connections to the shared port until every worker has
	// answered twice: the kernel spreads them, X-Worker says where.
	answered := map[string]int{}
	sent := 0
	for sent < 600 && (answered["1"] < 2 || answered["2"] < 2 || answered["3"] < 2) {
		resp := probe("http://" + addr + "/no-such-page")
		if resp == nil {
			t.Fatalf("request %d to the shared port failed", sent+1)
		}
		sent++
		answered[resp.Header.Get(headerWorker)]++
	}
	total := 0.0
	for w := 1; w <= workers; w++ {
		c := newTestClient(t, strings.TrimSuffix(own(w), "/metrics"), false)
		got := metricValue(t, c, `target_requests_total{code="404",route="unmatched"}`)
		if want := float64(answered[strconv.Itoa(w)]); got != want {
			t.Errorf("worker %d's own port counts %v unmatched requests, it answered %v", w, got, want)
		}
		total += max(got, 0)
	}
	if total != float64(sent) {
		t.Errorf("the workers' own ports count %v requests in all, %d were sent", total, sent)
	}
	t.Logf("%d requests over workers %v, all counted on the workers' own ports", sent, answered)
}
