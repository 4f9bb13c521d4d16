package process

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"loadharness"
)

// mustBuildTarget builds cmd/target into a temporary directory.
func mustBuildTarget(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "target")
	out, err := exec.Command("go", "build", "-o", bin, "loadharness/cmd/target").CombinedOutput()
	if err != nil {
		tb.Fatalf("build target: %v\n%s", err, out)
	}
	return bin
}

func alive(pid int) bool {
	return !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}

func getOK(t *testing.T, url string) *http.Response {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	return resp
}

// TestProcessStackActionsAndTeardown runs the same actions behind each
// balancer: target lb and a real HAProxy must route around a killed
// instance, take in an added one and leave nothing behind.
func TestProcessStackActionsAndTeardown(t *testing.T) {
	if testing.Short() {
		t.Skip("process stack: skipped in -short mode")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not on PATH (apt-get install redis-server; CI installs it)")
	}
	bin := mustBuildTarget(t)
	for _, balancer := range []string{loadharness.BalancerBuiltin, loadharness.BalancerHAProxy} {
		t.Run(balancer, func(t *testing.T) {
			if _, err := exec.LookPath("haproxy"); err != nil && balancer == loadharness.BalancerHAProxy && os.Getenv("CI") == "" {
				t.Skip("haproxy not on PATH (apt-get install haproxy; CI installs it)")
			}
			testStackActionsAndTeardown(t, bin, balancer)
		})
	}
}

func testStackActionsAndTeardown(t *testing.T, bin, balancer string) {
	dir := t.TempDir()
	p := &Provider{TargetBin: bin, Dir: dir, Logf: t.Logf}
	shape := loadharness.StackShape{Instances: 2, Workers: 2, Threads: 4, SessionStore: "redis", DatasetStore: "redis", Balancer: balancer}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := p.Start(ctx, shape)
	if err != nil {
		t.Fatal(err)
	}
	ps := st.(*processStack)
	t.Cleanup(func() { ps.Close(context.Background()) })

	if got, want := ps.Info().RedisKind[:len("redis-server")], "redis-server"; got != want {
		t.Errorf("redis kind = %q, want a real redis-server", ps.Info().RedisKind)
	}
	if got, want := len(ps.MetricsURLs()), 2; got != want {
		t.Fatalf("metrics URLs = %d, want %d", got, want)
	}
	getOK(t, ps.URL()+"/healthz")

	// Kill instance 1: the balancer must route around it within a second or two.
	killed := ps.instances[0].proc.Pid()
	if _, err := ps.Act(ctx, "kill-instance", 1); err != nil {
		t.Fatal(err)
	}
	if alive(killed) {
		t.Fatalf("instance 1 (pid %d) still alive after kill-instance", killed)
	}
	// The balancer's health checks take a dead backend out within a second;
	// after that every request must be served, by instance-2.
	time.Sleep(1200 * time.Millisecond)
	for i := 0; i < 10; i++ {
		if got, want := getOK(t, ps.URL()+"/healthz").Header.Get("X-Instance"), "instance-2"; got != want {
			t.Fatalf("after killing instance-1, served by %q, want %q", got, want)
		}
	}

	// Add an instance: it joins the balancer and serves.
	ev, err := ps.Act(ctx, "add-instance", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ev.Target, "instance-3"; got != want {
		t.Errorf("added %q, want %q", got, want)
	}
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		seen[getOK(t, ps.URL()+"/healthz").Header.Get("X-Instance")] = true
	}
	if !seen["instance-3"] {
		t.Errorf("instance-3 never served after add-instance: %v", seen)
	}

	// Teardown leaves no process behind.
	var pids []int
	for _, in := range ps.instances {
		if in != nil {
			pids = append(pids, in.proc.Pid())
		}
	}
	pids = append(pids, ps.lb.Pid())
	if err := ps.Close(context.Background()); err != nil {
		t.Errorf("close: %v", err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("pid %d still alive after Close", pid)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "instance-1.log")); err != nil {
		t.Errorf("instance log: %v", err)
	}
}
