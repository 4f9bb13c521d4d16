package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/rundir"
)

// startCollector starts `loadtest collect --listen 127.0.0.1:0 args...` and
// returns its URL, read from its first line, and a wait for its exit code
// and output.
func startCollector(t *testing.T, ctx context.Context, args ...string) (string, func() (int, string)) {
	t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "loadtest"), append([]string{"collect", "--listen", "127.0.0.1:0"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	r := bufio.NewReader(stdout)
	first, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("collect said nothing: %v\n%s", err, stderr.String())
	}
	// "collect: waiting for N shards on http://ADDR/shards/I ..."
	_, after, ok := strings.Cut(first, " on ")
	base, _, ok2 := strings.Cut(after, "/shards/")
	if !ok || !ok2 {
		t.Fatalf("collect's first line %q names no URL", first)
	}
	rest := make(chan string, 1)
	go func() { b, _ := io.ReadAll(r); rest <- string(b) }()
	return base, func() (int, string) {
		out := first + <-rest
		err := cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode(), out + stderr.String()
		}
		if err != nil {
			t.Fatalf("collect: %v", err)
		}
		return 0, out + stderr.String()
	}
}

// fakeRun writes a run directory with a summary and n raw results.
func fakeRun(t *testing.T, marker string) string {
	t.Helper()
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, rundir.SummaryFile), []byte(`{"suite":"`+marker+`"}`), 0o644)
	os.WriteFile(filepath.Join(dir, rundir.ResultsFile), []byte(marker+"\n"), 0o644)
	return dir
}

func packed(t *testing.T, dir string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := rundir.Pack(context.Background(), dir, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCollectorStoresEachShardOnce(t *testing.T) {
	out := t.TempDir()
	c := &collector{out: out, count: 2, limit: rundir.DefaultTransferLimit, token: "s3cret",
		received: map[int]bool{}, busy: map[int]bool{}, all: make(chan struct{})}
	srv := httptest.NewServer(c.handler(t.Logf))
	defer srv.Close()
	put := func(path, shard, token string, body []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+path, bytes.NewReader(body))
		if shard != "" {
			req.Header.Set(shardHeader, shard)
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	first, second := packed(t, fakeRun(t, "first")), packed(t, fakeRun(t, "second"))
	steps := []struct {
		name, path, shard, token string
		body                     []byte
		want                     int
		says                     string
	}{
		{"no token", "/shards/0", "0/2", "", first, http.StatusUnauthorized, "token"},
		{"wrong token", "/shards/0", "0/2", "guess", first, http.StatusUnauthorized, "token"},
		{"index out of range", "/shards/2", "2/2", "s3cret", first, http.StatusBadRequest, "want 0..1"},
		{"not a number", "/shards/x", "", "s3cret", first, http.StatusBadRequest, "want 0..1"},
		{"a run of another size", "/shards/0", "0/3", "s3cret", first, http.StatusBadRequest, "shard says it is 0/3"},
		{"not a run", "/shards/0", "0/2", "s3cret", []byte("hello"), http.StatusBadRequest, "not a gzip stream"},
		{"shard 0", "/shards/0", "0/2", "s3cret", first, http.StatusCreated, "stored"},
		{"shard 0 again", "/shards/0", "0/2", "s3cret", second, http.StatusConflict, "already received"},
	}
	for _, st := range steps {
		code, body := put(st.path, st.shard, st.token, st.body)
		if code != st.want || !strings.Contains(body, st.says) {
			t.Errorf("%s: %d %q, want %d containing %q", st.name, code, body, st.want, st.says)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(out, "shard-0", rundir.ResultsFile)); string(got) != "first\n" {
		t.Errorf("shard-0 holds %q, want the first upload's results", got)
	}
	select {
	case <-c.all:
		t.Fatal("all shards reported after one of two")
	default:
	}
	if code, body := put("/shards/1", "1/2", "s3cret", second); code != http.StatusCreated {
		t.Fatalf("shard 1: %d %s", code, body)
	}
	select {
	case <-c.all:
	case <-time.After(time.Second):
		t.Fatal("two of two shards stored, but the collector still waits")
	}
}

// flakyCollector refuses the first uploads with 503, then stores.
type flakyCollector struct {
	failFirst int
	tries     atomic.Int32
	next      http.Handler
}

func (f *flakyCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if int(f.tries.Add(1)) <= f.failFirst {
		io.Copy(io.Discard, r.Body)
		http.Error(w, "restarting", http.StatusServiceUnavailable)
		return
	}
	f.next.ServeHTTP(w, r)
}

func TestPushRetriesAFlakyCollectorAndNeverSendsTwice(t *testing.T) {
	out := t.TempDir()
	c := &collector{out: out, count: 1, limit: rundir.DefaultTransferLimit,
		received: map[int]bool{}, busy: map[int]bool{}, all: make(chan struct{})}
	flaky := &flakyCollector{failFirst: 2, next: c.handler(t.Logf)}
	srv := httptest.NewServer(flaky)
	defer srv.Close()
	run := fakeRun(t, "pushed")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := pushRun(ctx, srv.URL, 0, 1, run, t.Logf); err != nil {
		t.Fatalf("push through two 503s: %v", err)
	}
	if got := flaky.tries.Load(); got != 3 {
		t.Errorf("%d tries, want 3 (two refused, one stored)", got)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "shard-0", rundir.ResultsFile)); string(got) != "pushed\n" {
		t.Errorf("stored results %q", got)
	}
	// A second shard 0 is not this run's: it fails, it is not "delivered".
	err := pushRun(ctx, srv.URL, 0, 1, fakeRun(t, "other"), t.Logf)
	if err == nil || !strings.Contains(err.Error(), "already") {
		t.Errorf("pushing a stored shard again: %v, want an error saying it is already there", err)
	}
}

func TestPushGivesUpOnARefusal(t *testing.T) {
	var tries atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tries.Add(1)
		http.Error(w, "wrong token", http.StatusUnauthorized)
	}))
	defer srv.Close()
	err := pushRun(context.Background(), srv.URL, 0, 1, fakeRun(t, "x"), t.Logf)
	if err == nil || !strings.Contains(err.Error(), "401") || tries.Load() != 1 {
		t.Errorf("push to a collector that refuses: %v after %d tries, want one try and the 401", err, tries.Load())
	}
}

func TestCollectGivesUpAndKeepsWhatCame(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out := filepath.Join(t.TempDir(), "collected")
	url, done := startCollector(t, ctx, "--shards", "2", "--out", out, "--timeout", "2s")
	if err := pushRun(ctx, url, 1, 2, fakeRun(t, "one"), t.Logf); err != nil {
		t.Fatal(err)
	}
	code, said := done()
	if code != loadharness.ExitHarness || !strings.Contains(said, "shards [0] of 2 never reported") {
		t.Errorf("collect with a shard missing: exit %d, said:\n%s\nwant exit %d naming shard 0", code, said, loadharness.ExitHarness)
	}
	if _, err := os.Stat(filepath.Join(out, "shard-1", rundir.ResultsFile)); err != nil {
		t.Errorf("the shard that came is not kept: %v", err)
	}
	// A new collector refuses a directory that holds a collected run.
	code, _, stderr := loadtest(t, "collect", "--shards", "2", "--out", out, "--listen", "127.0.0.1:0", "--timeout", "1s")
	if code != loadharness.ExitHarness || !strings.Contains(stderr, "already holds a collected run") {
		t.Errorf("collect into a used directory: exit %d, %s", code, stderr)
	}
}

func TestRunPushNeedsAShard(t *testing.T) {
	for _, tc := range []struct{ args, want string }{
		{"--push http://127.0.0.1:1", "it needs --shard I/N"},
		{"--shard 0/2 --push ftp://x", "want the collector's base URL"},
		{"--run-id has/slash", `--run-id "has/slash": want 1..64 letters, digits`},
	} {
		code, _, stderr := loadtest(t, append([]string{"run", "--provider", "external", "--target", "http://127.0.0.1:1", "--metrics-url", "http://127.0.0.1:1/metrics"}, strings.Fields(tc.args)...)...)
		if code != loadharness.ExitHarness || !strings.Contains(stderr, tc.want) {
			t.Errorf("run %s: exit %d, %q; want exit 2 saying %q", tc.args, code, stderr, tc.want)
		}
	}
}
