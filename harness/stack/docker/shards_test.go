package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"loadharness"
	"loadharness/reports"
)

// LoadtestImage is the load generator's image (make images).
const LoadtestImage = "loadharness/loadtest:dev"

// shardsSuite is open-model only, so a run's request count is its
// schedule's: 60/s splits into 20+20+20 whole rates, which pace exactly,
// and the merge of the shards must count what one generator counts.
const shardsSuite = `
name: docker-shards
stack: {instances: 2, workers: 2, threads: 4, session_store: redis, dataset_store: redis}
gates: [p95 < 2s, error_rate < 1%, sessions_lost == 0]
scenarios:
  - name: maps
    users: 12
    rate: 60/s
    warmup: 500ms
    duration: 4s
    setup: [login, upload]
    steps: [map, dataset]
    gates: [throughput >= 50/s]
`

// TestShardsOnSeparateHostsMatchOneRun runs the suite once from one loadtest
// container, then as three shard containers on the stack's network, each
// its own host, started together with --start-at and pushing their runs to
// a collector container, which merges them. The merge must count exactly
// what the single run counted and reach the same verdict.
func TestShardsOnSeparateHostsMatchOneRun(t *testing.T) {
	if testing.Short() {
		t.Skip("containers: skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	if !Available(ctx) {
		t.Skip("no Docker engine answers")
	}
	for _, img := range []string{DefaultTargetImage, LocalRedisImage, LoadtestImage} {
		if !ImagePresent(ctx, img) {
			t.Skipf("image %s is not built (make images)", img)
		}
	}
	st, err := (&Provider{RedisImage: LocalRedisImage, TargetImage: DefaultTargetImage, Dir: t.TempDir(), Logf: t.Logf}).
		Start(ctx, loadharness.StackShape{Instances: 2, Workers: 2, Threads: 4, SessionStore: "redis", DatasetStore: "redis"})
	if err != nil {
		t.Fatalf("start stack: %v", err)
	}
	ds := st.(*dockerStack)
	defer ds.Close(context.WithoutCancel(ctx))
	target := "http://lb:8080"
	run := func(name string, args ...string) testcontainers.Container {
		// A reader of its own for each container: a file's reader is
		// consumed by the copy into the first.
		suiteFile := testcontainers.ContainerFile{Reader: strings.NewReader(shardsSuite), ContainerFilePath: "/suite/suite.yaml", FileMode: 0o644}
		return ds.loadtestContainer(ctx, t, name, suiteFile, args...)
	}

	whole := run("whole", "run", "/suite/suite.yaml", "--provider", "external", "--target", target, "--out", "/results/whole", "--quiet")
	wholeSummary := summaryIn(ctx, t, whole, "/results/whole/summary.json")

	collector := ds.startCollector(ctx, t)
	startAt := time.Now().Add(5 * time.Second).UTC().Format(time.RFC3339)
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run(fmt.Sprintf("shard-%d", i), "run", "/suite/suite.yaml", "--provider", "external", "--target", target,
				"--shard", fmt.Sprintf("%d/3", i), "--start-at", startAt, "--push", "http://collect:9400", "--run-id", "docker-shards",
				"--out", "/results/shard", "--quiet")
		}()
	}
	wg.Wait()
	code := exitCode(ctx, t, collector)
	merged := summaryIn(ctx, t, collector, "/results/collected/merged/summary.json")
	if want := map[string]int{"pass": 0, "fail": 1}[string(wholeSummary.Verdict)]; code != want {
		t.Errorf("collect exit %d, want %d for the single run's verdict %s", code, want, wholeSummary.Verdict)
	}

	if merged.RunID != "docker-shards" {
		t.Errorf("merged run_id %q, want the shards' docker-shards", merged.RunID)
	}
	if merged.Verdict != wholeSummary.Verdict {
		t.Errorf("merged verdict %s, single run %s", merged.Verdict, wholeSummary.Verdict)
	}
	w, m := scenarioIn(t, wholeSummary, "maps"), scenarioIn(t, merged, "maps")
	t.Logf("single run: %d requests, %.1f/s asked, %.1f/s, p50 %.2fms p95 %.2fms p99 %.2fms | merged: %d requests, %.1f/s asked, %.1f/s, p50 %.2fms p95 %.2fms p99 %.2fms",
		w.Requests, w.AskedRPS, w.ThroughputRPS, w.Latency.P50, w.Latency.P95, w.Latency.P99,
		m.Requests, m.AskedRPS, m.ThroughputRPS, m.Latency.P50, m.Latency.P95, m.Latency.P99)
	if m.Requests != w.Requests || m.Failed != w.Failed || m.Dropped != w.Dropped {
		t.Errorf("merged requests/failed/dropped %d/%d/%d, single run %d/%d/%d: must be equal",
			m.Requests, m.Failed, m.Dropped, w.Requests, w.Failed, w.Dropped)
	}
	if math.Abs(m.AskedRPS-w.AskedRPS) > 1e-6*w.AskedRPS { // the schedule over the measured window, in floating point
		t.Errorf("merged asked rate %g/s, single run %g/s", m.AskedRPS, w.AskedRPS)
	}
	// The merge's throughput is its requests over the union of the shards'
	// main phases, which start together only to within the spread of
	// their own setups and of three generators' scheduling on two cores:
	// that union was 85ms (2%) longer than the single run's phase in one
	// CI run. The asked rate above is the exact one.
	if diff := math.Abs(m.ThroughputRPS - w.ThroughputRPS); diff > 0.05*w.ThroughputRPS {
		t.Errorf("merged throughput %.2f/s, single run %.2f/s: more than 5%% apart", m.ThroughputRPS, w.ThroughputRPS)
	}
	// Loopback latencies in containers on two shared cores: milliseconds,
	// with a noise floor of tens of them.
	if diff := math.Abs(m.Latency.P95 - w.Latency.P95); diff > max(w.Latency.P95, 25) {
		t.Errorf("merged p95 %.2fms, single run %.2fms: beyond a single run's noise", m.Latency.P95, w.Latency.P95)
	}
}

// loadtestContainer runs `loadtest args...` in a container of the stack's
// network and returns it once it has exited successfully.
func (s *dockerStack) loadtestContainer(ctx context.Context, t *testing.T, name string, suite testcontainers.ContainerFile, args ...string) testcontainers.Container {
	t.Helper()
	ctr, err := testcontainers.Run(ctx, LoadtestImage, append(s.common("loadtest", name),
		testcontainers.WithFiles(suite),
		testcontainers.WithCmd(args...),
		testcontainers.WithWaitStrategyAndDeadline(3*time.Minute, wait.ForExit()),
	)...)
	if ctr != nil {
		s.track(name, ctr)
	}
	if err != nil {
		t.Errorf("%s: %v", name, err)
		return ctr
	}
	if code := exitCode(ctx, t, ctr); code != 0 {
		t.Errorf("%s: loadtest %s exited %d:\n%s", name, strings.Join(args, " "), code, containerLog(ctx, ctr))
	}
	return ctr
}

// startCollector starts `loadtest collect` for three shards as "collect".
func (s *dockerStack) startCollector(ctx context.Context, t *testing.T) testcontainers.Container {
	t.Helper()
	ctr, err := testcontainers.Run(ctx, LoadtestImage, append(s.common("loadtest", "collect"),
		testcontainers.WithCmd("collect", "--shards", "3", "--listen", "0.0.0.0:9400", "--out", "/results/collected", "--timeout", "3m"),
		testcontainers.WithWaitStrategyAndDeadline(30*time.Second, wait.ForLog("collect: waiting for 3 shards")),
	)...)
	if ctr != nil {
		s.track("collect", ctr)
	}
	if err != nil {
		t.Fatalf("collect: %v", err)
	}
	return ctr
}

// exitCode waits until ctr has exited and returns its exit code.
func exitCode(ctx context.Context, t *testing.T, ctr testcontainers.Container) int {
	t.Helper()
	for {
		state, err := ctr.State(ctx)
		if err != nil {
			t.Fatalf("container state: %v", err)
		}
		if !state.Running {
			return state.ExitCode
		}
		select {
		case <-ctx.Done():
			t.Fatalf("container still running: %v\n%s", ctx.Err(), containerLog(ctx, ctr))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

func containerLog(ctx context.Context, ctr testcontainers.Container) string {
	rc, err := ctr.Logs(context.WithoutCancel(ctx))
	if err != nil {
		return err.Error()
	}
	defer rc.Close()
	b, _ := io.ReadAll(io.LimitReader(rc, 64<<10))
	return string(b)
}

// summaryIn copies a summary.json out of a container, running or exited.
func summaryIn(ctx context.Context, t *testing.T, ctr testcontainers.Container, path string) reports.Summary {
	t.Helper()
	rc, err := ctr.CopyFileFromContainer(ctx, path)
	if err != nil {
		t.Fatalf("copy %s: %v\n%s", path, err, containerLog(ctx, ctr))
	}
	defer rc.Close()
	var s reports.Summary
	if err := json.NewDecoder(rc).Decode(&s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

func scenarioIn(t *testing.T, s reports.Summary, name string) reports.ScenarioSummary {
	t.Helper()
	for _, sc := range s.Scenarios {
		if sc.Name == name {
			return sc
		}
	}
	t.Fatalf("no scenario %s in %+v", name, s.Scenarios)
	return reports.ScenarioSummary{}
}
