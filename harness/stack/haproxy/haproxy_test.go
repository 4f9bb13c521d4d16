package haproxy

import (
	"bytes"
	"context"
	"fmt"
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

	"loadharness/harness/stack"
)

// haproxyBin returns the haproxy binary, skipping (or, in CI, failing)
// where it is missing.
func haproxyBin(t *testing.T) string {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI installs haproxy: %v", err)
		}
		t.Skip(err)
	}
	return bin
}

// backend is a loopback instance that names itself and can be made slow.
type backend struct {
	srv   *httptest.Server
	name  string
	hits  atomic.Int64
	delay atomic.Int64 // nanoseconds each request on / waits
}

func newBackend(t *testing.T, name string) *backend {
	b := &backend{name: name}
	b.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			return
		}
		b.hits.Add(1)
		time.Sleep(time.Duration(b.delay.Load()))
		io.WriteString(w, name)
	}))
	t.Cleanup(b.srv.Close)
	return b
}

// startHAProxy writes cfg, checks it with haproxy -c and runs HAProxy in the
// foreground until the test ends.
func startHAProxy(t *testing.T, cfg Config) (lbURL string, rt Runtime) {
	t.Helper()
	bin := haproxyBin(t)
	lb, err := stack.FreeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	admin, err := stack.FreeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	cfg.Listen, cfg.Admin = fmt.Sprintf("127.0.0.1:%d", lb), fmt.Sprintf("127.0.0.1:%d", admin)
	var buf bytes.Buffer
	if err := cfg.Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	if err := Check(ctx, bin, path); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	var logs bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, "-db", "-f", path)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() || testing.Verbose() {
			t.Logf("haproxy log:\n%s", logs.String())
		}
	})
	lbURL = "http://" + cfg.Listen
	waitCtx, stop := context.WithTimeout(ctx, 10*time.Second)
	defer stop()
	go func() {
		select {
		case <-exited: // a bad config ends it at once: do not wait for nothing
			stop()
		case <-waitCtx.Done():
		}
	}()
	if err := stack.WaitHTTP(waitCtx, lbURL+HealthzPath); err != nil {
		t.Fatalf("haproxy never answered %s: %v", HealthzPath, err)
	}
	return lbURL, Runtime{Addr: cfg.Admin, DrainTimeout: 5 * time.Second}
}

// spread sends n requests and counts the answers by body, errors by status.
func spread(t *testing.T, lbURL string, n int) map[string]int {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	got := map[string]int{}
	for range n {
		resp, err := client.Get(lbURL + "/")
		if err != nil {
			got["error"]++
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			got[resp.Status]++
			continue
		}
		got[string(body)]++
	}
	return got
}

func waitHealth(t *testing.T, rt Runtime, want map[string]bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var last map[string]bool
	for ctx.Err() == nil {
		h, err := rt.Health(ctx)
		if err == nil && fmt.Sprint(h) == fmt.Sprint(want) {
			return
		}
		last = h
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("health %v, want %v within 5s", last, want)
}

// TestHAProxyActsLikeTheBuiltInBalancer drives a real HAProxy through what
// the harness does to a balancer: round robin over healthy backends, a
// killed backend taken out by its checks, an added one brought in, and a
// removal that drains a request in flight before freeing the slot.
func TestHAProxyActsLikeTheBuiltInBalancer(t *testing.T) {
	one, two, three := newBackend(t, "one"), newBackend(t, "two"), newBackend(t, "three")
	lbURL, rt := startHAProxy(t, Config{Backends: []string{one.srv.URL, two.srv.URL}, Slots: 4})
	waitHealth(t, rt, map[string]bool{one.srv.URL: true, two.srv.URL: true})

	if got := spread(t, lbURL, 10); got["one"] != 5 || got["two"] != 5 {
		t.Errorf("10 requests over two healthy backends: %v, want 5 and 5 (round robin)", got)
	}

	// Killed: the checks (every 250ms, out after 2) take it out within a second.
	two.srv.Close()
	waitHealth(t, rt, map[string]bool{one.srv.URL: true, two.srv.URL: false})
	if got := spread(t, lbURL, 6); got["one"] != 6 {
		t.Errorf("after two died: %v, want all 6 on one", got)
	}

	// Added: a free slot takes it, its first passed check brings it in.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := rt.Add(ctx, three.srv.URL); err != nil {
		t.Fatal(err)
	}
	if err := rt.Add(ctx, three.srv.URL); err == nil || !strings.Contains(err.Error(), "already a backend") {
		t.Errorf("adding a backend twice: %v", err)
	}
	waitHealth(t, rt, map[string]bool{one.srv.URL: true, two.srv.URL: false, three.srv.URL: true})
	if got := spread(t, lbURL, 10); got["one"] != 5 || got["three"] != 5 {
		t.Errorf("after three joined: %v, want 5 and 5", got)
	}

	// Removed while a request is in flight on it: drained, not cut.
	one.delay.Store(int64(700 * time.Millisecond))
	inFlight := make(chan map[string]int)
	go func() {
		// Two requests: round robin sends one of them to one.
		inFlight <- spread(t, lbURL, 2)
	}()
	time.Sleep(200 * time.Millisecond)
	start := time.Now()
	if err := rt.Remove(ctx, one.srv.URL); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if got := <-inFlight; got["one"] != 1 {
		t.Errorf("the request in flight on the drained backend: %v, want it answered by one", got)
	}
	if took < 300*time.Millisecond {
		t.Errorf("Remove returned after %s, before the request in flight (700ms) ended", took)
	}
	waitHealth(t, rt, map[string]bool{two.srv.URL: false, three.srv.URL: true})
	if got := spread(t, lbURL, 4); got["three"] != 4 {
		t.Errorf("after one was removed: %v, want all on three", got)
	}
	if err := rt.Remove(ctx, one.srv.URL); err == nil {
		t.Error("removing a backend twice: no error")
	}
}

func TestHAProxyDoesNotRetryAFailedRequest(t *testing.T) {
	var hits atomic.Int64
	// A backend that passes its checks but drops every request's
	// connection: HAProxy must answer an error, not try the other one.
	dropper := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/readyz" {
			return
		}
		hits.Add(1)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer dropper.Close()
	good := newBackend(t, "good")
	lbURL, rt := startHAProxy(t, Config{Backends: []string{dropper.URL, good.srv.URL}, Slots: 2})
	waitHealth(t, rt, map[string]bool{dropper.URL: true, good.srv.URL: true})
	got := spread(t, lbURL, 2)
	if hits.Load() != 1 || got["good"] != 1 || got["502 Bad Gateway"] != 1 {
		t.Errorf("two requests, one to a backend that drops it: %v, %d reached it; want one 502 and one answer, no retry", got, hits.Load())
	}
}

func TestConfigRefusesWhatHAProxyCannotTake(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Listen: "127.0.0.1:1", Admin: "127.0.0.1:2", Backends: []string{"http://instance-1:8080"}}, "takes an IP address"},
		{Config{Listen: "127.0.0.1:1", Admin: "127.0.0.1:2", Backends: []string{"https://127.0.0.1:8080"}}, "want http://IP:PORT"},
		{Config{Listen: "127.0.0.1:1", Admin: "127.0.0.1:2", Backends: []string{"http://127.0.0.1:1", "http://127.0.0.1:2"}, Slots: 1}, "more than the 1 slots"},
		{Config{Admin: "127.0.0.1:2"}, "Listen and Admin are required"},
	} {
		if err := tc.cfg.Write(io.Discard); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Write(%+v): %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestParseStat(t *testing.T) {
	out := "# pxname,svname,qcur,scur,status,addr,\n" +
		"load,FRONTEND,,3,OPEN,,\n" +
		"targets,slot1,0,2,UP,127.0.0.1:8001,\n" +
		"targets,slot2,0,0,DOWN 1/2,127.0.0.1:8002,\n" +
		"targets,slot3,0,0,MAINT,127.0.0.1:9,\n" +
		"targets,BACKEND,0,2,UP,,\n"
	slots, err := parseStat(out)
	if err != nil {
		t.Fatal(err)
	}
	want := []Slot{
		{Name: "slot1", Backend: "http://127.0.0.1:8001", Status: "UP", Current: 2},
		{Name: "slot2", Backend: "http://127.0.0.1:8002", Status: "DOWN 1/2"},
		{Name: "slot3", Backend: "http://127.0.0.1:9", Status: "MAINT"},
	}
	if fmt.Sprint(slots) != fmt.Sprint(want) {
		t.Errorf("parseStat = %v, want %v", slots, want)
	}
	if _, err := parseStat("# pxname,svname\n"); err == nil {
		t.Error("a header without status, scur and addr was accepted")
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add("# pxname,svname,scur,status,addr\ntargets,slot1,1,UP,127.0.0.1:1\n")
	f.Add("")
	f.Add("# \n\"")
	f.Fuzz(func(t *testing.T, out string) {
		slots, err := parseStat(out)
		if err != nil {
			return
		}
		for _, s := range slots {
			if s.Name == "BACKEND" || s.Name == "FRONTEND" || !strings.HasPrefix(s.Backend, "http://") {
				t.Fatalf("slot %+v kept", s)
			}
		}
	})
}
