package target

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a child's output for the failure message.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mustBuildTarget compiles cmd/target into a temporary directory.
func mustBuildTarget(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "target")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "loadharness/cmd/target").CombinedOutput()
	if err != nil {
		tb.Fatalf("go build cmd/target: %v\n%s", err, out)
	}
	return bin
}

// mustStartProcess starts bin with args; Cleanup stops it by pid with
// SIGTERM (graceful) and SIGKILL after 5 s. Its workers die with it.
func mustStartProcess(tb testing.TB, bin string, args ...string) *lockedBuffer {
	tb.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", args, err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		if tb.Failed() {
			tb.Logf("output of %s:\n%s", args, out)
		}
	})
	return out
}

// waitFor polls cond every 20 ms until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// probe is one GET without cookies, nil on a connection error.
func probe(url string) *http.Response {
	c := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return nil
	}
	resp.Body.Close()
	return resp
}

// TestProcessStack runs the real thing: Redis, two instances of two
// preforked workers each, and the balancer, all as processes, and checks one
// user's session through it in the plan's before and after shapes.
func TestProcessStack(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/target and runs a process stack; skipped with -short")
	}
	if runtime.GOOS != "linux" {
		t.Skip("prefork workers need Linux (SO_REUSEPORT, parent-death signal)")
	}
	// Mostly a go build and child processes: it overlaps well with the
	// tests that wait on the clock.
	t.Parallel()
	r := mustStartRedis(t)
	bin := mustBuildTarget(t)

	cases := []struct {
		name           string
		sessions, data string
		wantKept       bool
	}{
		{"after: redis sessions and data sets", SessionStoreRedis, DatasetStoreRedis, true},
		{"before: memory sessions", SessionStoreMemory, DatasetStoreRedis, false},
		{"redis sessions, data sets on local disk", SessionStoreRedis, DatasetStoreFile, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var backends []string
			for i, name := range []string{"i1", "i2"} {
				addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
				mustStartProcess(t, bin, "serve",
					"--listen", addr, "--workers", "2", "--instance", name,
					"--redis-addr", r.Addr, "--session-store", tc.sessions, "--dataset-store", tc.data,
					"--data-dir", filepath.Join(t.TempDir(), fmt.Sprint("disk", i)),
					"--shutdown-timeout", "2s")
				backends = append(backends, "http://"+addr)
			}
			lbAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
			mustStartProcess(t, bin, "lb", "--listen", lbAddr, "--backends", strings.Join(backends, ","))

			// Every worker of every instance listens before the test starts.
			for _, b := range backends {
				seen := map[string]bool{}
				waitFor(t, 20*time.Second, b+" workers 1 and 2", func() bool {
					if resp := probe(b + "/readyz"); resp != nil && resp.StatusCode == http.StatusOK {
						seen[resp.Header.Get("X-Worker")] = true
					}
					return seen["1"] && seen["2"]
				})
			}
			waitFor(t, 10*time.Second, "both backends healthy in the balancer", func() bool {
				resp, err := http.Get("http://" + lbAddr + "/lb/backends")
				if err != nil {
					return false
				}
				defer resp.Body.Close()
				var st struct {
					Backends []struct {
						Healthy bool `json:"healthy"`
					} `json:"backends"`
				}
				if json.NewDecoder(resp.Body).Decode(&st) != nil || len(st.Backends) != 2 {
					return false
				}
				return st.Backends[0].Healthy && st.Backends[1].Healthy
			})

			c := newTestClient(t, "http://"+lbAddr, false)
			if got := c.login("u1"); got.Status != http.StatusOK {
				t.Fatalf("login: %d %s", got.Status, got.Body)
			}
			up := c.upload(mustCSV(t, 60, 9))
			if up.Status != http.StatusCreated {
				t.Fatalf("upload: %d %s", up.Status, up.Body)
			}
			want := up.JSON(t)

			var (
				kept, lost int
				instances  = map[string]bool{}
				workers    = map[string]bool{}
			)
			// The balancer keeps its connections to a backend alive, so at
			// this low concurrency it reaches one worker per instance; every
			// other read goes straight to an instance on a new connection
			// (the jar ignores ports), which the kernel spreads over workers.
			bases := append([]string{"http://" + lbAddr}, backends...)
			for i := range 21 {
				c.switchBase(bases[i%len(bases)])
				got := c.get("/dataset")
				instances[got.Header.Get("X-Instance")] = true
				workers[got.Header.Get("X-Instance")+"/"+got.Header.Get("X-Worker")] = true
				if got.Status == http.StatusOK {
					b := got.JSON(t)
					if b["id"] != want["id"] || b["checksum"] != want["checksum"] {
						t.Fatalf("someone else's data set: %v, want %v/%v", b, want["id"], want["checksum"])
					}
					kept++
				} else {
					lost++
				}
			}
			t.Logf("%d kept, %d lost over %d instances, %d workers", kept, lost, len(instances), len(workers))
			if len(instances) < 2 || len(workers) < 3 {
				t.Errorf("requests reached %v: want both instances and several workers", workers)
			}
			if tc.wantKept && lost > 0 {
				t.Errorf("%d of %d reads lost the session, want none", lost, kept+lost)
			}
			if !tc.wantKept && lost == 0 {
				t.Errorf("no read lost the session; this shape must lose it across workers or instances")
			}
		})
	}
}
