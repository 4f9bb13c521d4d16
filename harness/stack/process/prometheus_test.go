package process

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/stack"
	"loadharness/internal/promtest"
)

// recordingTracker remembers what a provider recorded.
type recordingTracker struct {
	mu    sync.Mutex
	procs map[string]int
}

func (r *recordingTracker) Process(name string, pid int) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.procs == nil {
		r.procs = map[string]int{}
	}
	r.procs[name] = pid
	return nil
}

func (r *recordingTracker) DockerRun(string) error { return nil }

func (r *recordingTracker) pid(name string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.procs[name]
}

// byWorker maps instance/worker to the value of each sample of q on the
// Prometheus at url.
func byWorker(tb testing.TB, url, q string) map[string]float64 {
	tb.Helper()
	out := map[string]float64{}
	for _, s := range promtest.Query(tb, url, q) {
		out[string(s.Metric["instance"])+"/"+string(s.Metric["worker"])] = float64(s.Value)
	}
	return out
}

// hitWorkers sends GET /no-such-page to base on fresh connections, which
// the kernel spreads over the instance's workers, until every worker named
// in want has answered at least that often (bounded); it adds what each
// worker answered to tally (by "instance/worker") and returns how many
// requests it sent.
func hitWorkers(t *testing.T, base string, want map[string]int, tally map[string]int) int {
	t.Helper()
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	got := map[string]int{}
	done := func() bool {
		for w, n := range want {
			if got[w] < n {
				return false
			}
		}
		return true
	}
	sent := 0
	for ; sent < 500 && !done(); sent++ {
		resp, err := client.Get(base + "/no-such-page")
		if err != nil {
			t.Fatalf("request %d to %s: %v", sent+1, base, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("GET %s/no-such-page: %s, want 404", base, resp.Status)
		}
		w := resp.Header.Get("X-Instance") + "/" + resp.Header.Get("X-Worker")
		got[w]++
		tally[w]++
	}
	if !done() {
		t.Fatalf("%d requests to %s reached %v, want at least %v", sent, base, got, want)
	}
	return sent
}

// workerPID finds the process of worker slot w among the children of the
// supervisor sup, by the slot the supervisor put in its environment.
func workerPID(t *testing.T, sup, w int) int {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The parent's pid is the second field after the parenthesised name.
		fields := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
		if len(fields) < 2 || fields[1] != strconv.Itoa(sup) {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		vars := strings.Split(string(env), "\x00")
		for i := len(vars) - 1; i >= 0; i-- { // the last one wins, as in exec
			if v, ok := strings.CutPrefix(vars[i], "TARGET_WORKER_ID="); ok {
				if v == strconv.Itoa(w) {
					return pid
				}
				break
			}
		}
	}
	t.Fatalf("no worker %d among the children of pid %d", w, sup)
	return 0
}

// TestProcessStackPrometheus brings up 2 instances × 2 workers with their
// own Prometheus and checks through its HTTP API what an SRE would: every
// worker is a target that is up; the request counters it sums equal the
// requests sent, worker by worker; a worker restarted by its supervisor is
// a counter reset on its own series; a killed instance's workers are down,
// an added one's are scraped, a removed one's are gone; Close stops it and
// keeps its log.
func TestProcessStackPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("process stack: skipped in -short mode")
	}
	promtest.Binary(t, "prometheus")
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not on PATH (apt-get install redis-server; CI installs it)")
	}
	dir := t.TempDir()
	track := &recordingTracker{}
	p := &Provider{TargetBin: mustBuildTarget(t), Dir: dir, Logf: t.Logf, Track: track}
	shape := loadharness.StackShape{Instances: 2, Workers: 2, Threads: 2,
		SessionStore: "redis", DatasetStore: "redis", Prometheus: true}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := p.Start(ctx, shape)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	pr, ok := st.(stack.Prometheuser)
	if !ok {
		t.Fatalf("a stack with prometheus: true is a %T, not a stack.Prometheuser", st)
	}
	if !strings.HasPrefix(pr.PrometheusURL(), "http://127.0.0.1:") {
		t.Errorf("PrometheusURL %q: want it on loopback", pr.PrometheusURL())
	}
	ps := st.(*prometheusStack).processStack
	if got, want := track.pid("prometheus"), ps.prom.proc.Pid(); got != want {
		t.Errorf("ledger has prometheus as pid %d, want %d: it must be recorded like every child", got, want)
	}
	url := pr.PrometheusURL()

	t.Run("every worker is an up target", func(t *testing.T) {
		promtest.WaitScalar(t, url, `count(up{job="target"} == 1)`, 4, 10*time.Second)
		got := byWorker(t, url, `up{job="target"}`)
		for _, w := range []string{"instance-1/1", "instance-1/2", "instance-2/1", "instance-2/2"} {
			if got[w] != 1 {
				t.Errorf("up of %s = %v, want 1 (all: %v)", w, got[w], got)
			}
		}
		if got, want := promtest.Scalar(t, url, `count(process_cpu_seconds_total{job="target"})`), 4.0; got != want {
			t.Errorf("process_cpu_seconds_total series = %v, want one per worker, %v", got, want)
		}
	})

	// tally counts the unmatched requests each worker answered, by the
	// X-Instance and X-Worker of its answers.
	tally := map[string]int{}
	sent := 0
	t.Run("summed counters equal the requests sent", func(t *testing.T) {
		for i, in := range ps.instances {
			name := "instance-" + strconv.Itoa(i+1)
			sent += hitWorkers(t, in.url, map[string]int{name + "/1": 3, name + "/2": 3}, tally)
		}
		const sum = `sum(target_requests_total{job="target",route="unmatched"})`
		promtest.WaitScalar(t, url, sum, float64(sent), 10*time.Second)
		// Two scrapes later it has not moved: no scrape counts as a request.
		time.Sleep(2500 * time.Millisecond)
		if got := promtest.Scalar(t, url, sum); got != float64(sent) {
			t.Errorf("%s = %v two scrapes later, want still %d", sum, got, sent)
		}
		got := byWorker(t, url, `target_requests_total{job="target",route="unmatched"}`)
		for w, n := range tally {
			if got[w] != float64(n) {
				t.Errorf("worker %s: Prometheus counts %v, it answered %d", w, got[w], n)
			}
		}
		t.Logf("%d requests over workers %v, each counted on its own series", sent, tally)
	})

	t.Run("a restarted worker is a counter reset on its own series", func(t *testing.T) {
		const series = `target_requests_total{job="target",instance="instance-2",worker="1",route="unmatched"}`
		before := tally["instance-2/1"]
		if before == 0 {
			t.Fatal("worker 2/1 answered nothing before the kill: the reset could not show")
		}
		victim := workerPID(t, ps.instances[1].proc.Pid(), 1)
		if err := syscall.Kill(victim, syscall.SIGKILL); err != nil {
			t.Fatalf("kill worker 1 of instance-2 (pid %d): %v", victim, err)
		}
		promtest.WaitScalar(t, url, `target_worker_restarts_total{job="target",instance="instance-2",worker="1"}`, 1, 15*time.Second)
		after := map[string]int{}
		hitWorkers(t, ps.instances[1].url, map[string]int{"instance-2/1": 2}, after)
		promtest.WaitScalar(t, url, series, float64(after["instance-2/1"]), 10*time.Second)
		if got := promtest.Scalar(t, url, `resets(`+series+`[5m])`); got != 1 {
			t.Errorf("resets of worker 2/1's counter = %v, want 1", got)
		}
		if got := promtest.Scalar(t, url, `max_over_time(`+series+`[5m])`); got != float64(before) {
			t.Errorf("worker 2/1's counter peaked at %v before the restart, want the %d it answered: the old count is lost", got, before)
		}
		for w, n := range byWorker(t, url, `resets(target_requests_total{job="target",route="unmatched"}[5m])`) {
			if w != "instance-2/1" && n != 0 {
				t.Errorf("worker %s shows %v resets; only 2/1 was restarted", w, n)
			}
		}
	})

	t.Run("a killed instance's workers are down", func(t *testing.T) {
		if _, err := st.Act(ctx, loadharness.ActionKillInstance, 1); err != nil {
			t.Fatal(err)
		}
		promtest.WaitScalar(t, url, `count(up{job="target",instance="instance-1"} == 0)`, 2, 10*time.Second)
		promtest.WaitScalar(t, url, `count(up{job="target"} == 1)`, 2, 10*time.Second)
	})

	t.Run("an added instance's workers are scraped", func(t *testing.T) {
		ev, err := st.Act(ctx, loadharness.ActionAddInstance, 0)
		if err != nil {
			t.Fatal(err)
		}
		if ev.Target != "instance-3" {
			t.Fatalf("added %q, want instance-3", ev.Target)
		}
		promtest.WaitScalar(t, url, `count(up{job="target",instance="instance-3"} == 1)`, 2, 10*time.Second)
		promtest.WaitScalar(t, url, `count(up{job="target"} == 1)`, 4, 10*time.Second)
	})

	t.Run("a removed instance is no longer a target", func(t *testing.T) {
		if _, err := st.Act(ctx, loadharness.ActionRemoveInstance, 3); err != nil {
			t.Fatal(err)
		}
		promtest.WaitInstanceDropped(t, url, "instance-3", 4, 10*time.Second)
	})

	promPID := ps.prom.proc.Pid()
	if err := st.Close(context.Background()); err != nil {
		t.Errorf("close: %v", err)
	}
	if alive(promPID) {
		t.Errorf("prometheus (pid %d) still alive after Close", promPID)
	}
	log, err := os.ReadFile(filepath.Join(dir, "prometheus.log"))
	if err != nil || !strings.Contains(string(log), "Server is ready to receive web requests") {
		t.Errorf("prometheus.log beside the other logs: %v; want Prometheus's own output, got:\n%.2000s", err, log)
	}
}

// TestMissingPrometheusSaysWhatToInstall starts a stack with prometheus:
// true where no prometheus is on PATH: the error names the package, and
// what was started before is torn down.
func TestMissingPrometheusSaysWhatToInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/target: skipped in -short mode")
	}
	bin := mustBuildTarget(t)
	t.Setenv("PATH", t.TempDir()) // no prometheus, and no redis-server: the embedded one
	track := &recordingTracker{}
	p := &Provider{TargetBin: bin, Dir: t.TempDir(), Logf: t.Logf, Track: track}
	shape := loadharness.StackShape{Instances: 1, Workers: 1, Threads: 1,
		SessionStore: "redis", DatasetStore: "redis", Prometheus: true}
	st, err := p.Start(context.Background(), shape)
	if err == nil {
		st.Close(context.Background())
		t.Fatal("a stack with prometheus: true started with no prometheus on PATH")
	}
	for _, want := range []string{"prometheus", "apt-get install prometheus"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	track.mu.Lock()
	defer track.mu.Unlock()
	for name, pid := range track.procs {
		if alive(pid) {
			t.Errorf("%s (pid %d) still alive after the failed start", name, pid)
		}
	}
}
