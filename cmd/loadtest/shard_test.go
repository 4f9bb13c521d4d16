package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/rundir"
	"loadharness/harness/stack"
	"loadharness/harness/stack/external"
	"loadharness/harness/stack/process"
	"loadharness/reports"
)

// shardSuite has an open scenario, whose request count is the schedule's
// (rate × duration, exact across shards since 100/s splits into 34+33+33),
// and a closed one, whose count is bounded by time only. The impossible
// throughput gate fails in the whole run and must fail in the merge too.
const shardSuiteYAML = `
name: sharded
stack: {instances: 2, workers: 2, threads: 4, session_store: redis, dataset_store: redis}
gates: [p95 < 2s, error_rate < 1%, sessions_lost == 0]
scenarios:
  - name: maps
    users: 12
    rate: 100/s
    warmup: 500ms
    duration: 3s
    setup: [login, upload]
    steps: [map, dataset]
    gates: [throughput >= 80/s]
  - name: browse
    users: 6
    think: 50ms
    duration: 2s
    setup: [login]
    steps: [upload, dataset]
    gates: [throughput >= 100000/s]
`

// TestShardedRunMatchesWholeRun runs one suite whole, then as 3 `loadtest
// run --shard I/3 --push URL` processes started together, all against one
// process stack; `loadtest collect` receives and merges the shards, and the
// merge is compared with the whole run.
func TestShardedRunMatchesWholeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("process stack and four runs: skipped in -short mode")
	}
	dir := t.TempDir()
	suiteFile := filepath.Join(dir, "sharded.yaml")
	if err := os.WriteFile(suiteFile, []byte(shardSuiteYAML), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	stackDir := filepath.Join(dir, "stack")
	if err := os.MkdirAll(stackDir, 0o755); err != nil {
		t.Fatal(err)
	}
	stack, err := (&process.Provider{TargetBin: filepath.Join(binDir, "target"), Dir: stackDir, Logf: t.Logf}).
		Start(ctx, loadharness.StackShape{Instances: 2, Workers: 2, Threads: 4, SessionStore: "redis", DatasetStore: "redis"})
	if err != nil {
		t.Fatalf("start stack: %v", err)
	}
	defer stack.Close(context.WithoutCancel(ctx))
	common := []string{"run", "--suite", suiteFile, "--provider", "external", "--target", stack.URL(), "--quiet"}

	wholeDir := filepath.Join(dir, "whole")
	if code, _, stderr := loadtest(t, append(common, "--out", wholeDir)...); code != loadharness.ExitFail {
		t.Fatalf("whole run exit = %d, want %d (the impossible gate fails)\n%s", code, loadharness.ExitFail, stderr)
	}

	// The shards send their runs to a collector, as shards on separate
	// hosts do; it merges them once all three have reported.
	collected := filepath.Join(dir, "collected")
	collectURL, collectDone := startCollector(t, ctx, "--shards", "3", "--out", collected, "--quiet")
	startAt := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339)
	shardDirs := make([]string, 3)
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range shardDirs {
		shardDirs[i] = filepath.Join(dir, fmt.Sprintf("shard-%d", i))
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := append(common, "--out", shardDirs[i], "--shard", fmt.Sprintf("%d/3", i), "--start-at", startAt, "--push", collectURL)
			out, err := exec.CommandContext(ctx, filepath.Join(binDir, "loadtest"), args...).CombinedOutput()
			if err != nil {
				errs[i] = fmt.Errorf("shard %d: %w\n%s", i, err, out)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err) // a shard's failed gates still exit 0
		}
	}
	if code, out := collectDone(); code != loadharness.ExitFail {
		t.Fatalf("collect exit = %d, want %d (the merged run's verdict)\n%s\ninvalid: %q", code, loadharness.ExitFail, out,
			readSummary(t, filepath.Join(collected, "merged")).InvalidReasons)
	}
	mergedDir := filepath.Join(collected, "merged")
	// The same shards merged from their own directories, as with a shared
	// volume, give the same report.
	code, _, stderr := loadtest(t, append([]string{"report", "--quiet", "--out", filepath.Join(dir, "merged-local")}, shardDirs...)...)
	if code != loadharness.ExitFail {
		t.Fatalf("merged report exit = %d, want %d\n%s", code, loadharness.ExitFail, stderr)
	}
	if a, b := readSummary(t, mergedDir), readSummary(t, filepath.Join(dir, "merged-local")); gateVerdicts(a) != gateVerdicts(b) ||
		summaryScenario(t, a, "maps").Requests != summaryScenario(t, b, "maps").Requests {
		t.Errorf("collected merge and local merge differ:\n%s\n%s", gateVerdicts(a), gateVerdicts(b))
	}
	whole, merged := readSummary(t, wholeDir), readSummary(t, mergedDir)

	if got, want := merged.Verdict, whole.Verdict; got != want {
		t.Errorf("merged verdict = %s, want the whole run's %s", got, want)
	}
	if got, want := gateVerdicts(merged), gateVerdicts(whole); got != want {
		t.Errorf("merged gates:\n%s\nwant the whole run's:\n%s", got, want)
	}
	for _, name := range []string{"maps", "browse"} {
		w, m := summaryScenario(t, whole, name), summaryScenario(t, merged, name)
		t.Logf("%-6s whole: %5d requests, %6.1f/s, p95 %6.2fms | merged: %5d requests, %6.1f/s, p95 %6.2fms",
			name, w.Requests, w.ThroughputRPS, w.Latency.P95, m.Requests, m.ThroughputRPS, m.Latency.P95)
		if name == "maps" {
			// The open model: setup (12 users × 2 steps) plus the schedule.
			if got, want := m.Requests, w.Requests; got != want {
				t.Errorf("maps: merged requests = %d, want the whole run's %d", got, want)
			}
		} else if diff := math.Abs(float64(m.Requests - w.Requests)); diff > 0.25*float64(w.Requests) {
			// The closed model: the same 6 users for the same time.
			t.Errorf("browse: merged requests = %d, whole %d: more than 25%% apart", m.Requests, w.Requests)
		}
		// Loopback latencies are milliseconds, and three generators share two
		// cores with the stack: the noise floor is tens of milliseconds.
		if diff := math.Abs(m.Latency.P95 - w.Latency.P95); diff > max(w.Latency.P95, 25) {
			t.Errorf("%s: merged p95 %.2fms, whole %.2fms: beyond the whole run's noise", name, m.Latency.P95, w.Latency.P95)
		}
	}
}

func readSummary(t *testing.T, dir string) reports.Summary {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, rundir.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := reports.ReadSummaryJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func summaryScenario(t *testing.T, s reports.Summary, name string) reports.ScenarioSummary {
	t.Helper()
	for _, sc := range s.Scenarios {
		if sc.Name == name {
			return sc
		}
	}
	t.Fatalf("no scenario %q in summary", name)
	return reports.ScenarioSummary{}
}

// gateVerdicts lists each gate's pass or fail, one a line, in order.
func gateVerdicts(s reports.Summary) string {
	var b strings.Builder
	for _, g := range s.Gates {
		fmt.Fprintf(&b, "%s %s pass=%v\n", g.Scenario, g.Gate, g.Pass)
	}
	return b.String()
}

func TestParseStartAt(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		in      string
		want    time.Time
		wantErr bool
	}{
		{"empty", "", time.Time{}, false},
		{"ahead", "2026-01-02T03:05:00Z", time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC), false},
		{"past starts at once", "2026-01-02T03:00:00Z", time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC), false},
		{"offset", "2026-01-02T04:30:00+01:00", time.Date(2026, 1, 2, 3, 30, 0, 0, time.UTC), false},
		{"too far", "2026-01-02T05:00:00Z", time.Time{}, true},
		{"not RFC 3339", "in 5 minutes", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStartAt(tt.in, now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !got.Equal(tt.want) {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func FuzzParseStartAt(f *testing.F) {
	for _, s := range []string{"", "2026-01-02T03:05:00Z", "2026-01-02T04:30:00+01:00", "x", "2026-13-40T99:00:00Z"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseStartAt(s, now)
		if err == nil && got.Sub(now) > maxStartWait {
			t.Fatalf("parseStartAt(%q) = %s: beyond the bound", s, got)
		}
	})
}

// stubProvider starts a stack that counts its closes.
type stubProvider struct{ closed *int }

func (p stubProvider) Start(ctx context.Context, shape loadharness.StackShape) (stack.Stack, error) {
	st, err := external.Provider{URL: "http://127.0.0.1:1"}.Start(ctx, shape)
	return closeCounter{st, p.closed}, err
}

type closeCounter struct {
	stack.Stack
	closed *int
}

func (c closeCounter) Close(ctx context.Context) error { *c.closed++; return c.Stack.Close(ctx) }

func TestStartAtProviderWaits(t *testing.T) {
	tests := []struct {
		name       string
		in         time.Duration // start-at from now
		cancel     bool
		minWait    time.Duration
		wantErr    bool
		wantClosed int
	}{
		{name: "waits until the time", in: 150 * time.Millisecond, minWait: 140 * time.Millisecond},
		{name: "past starts at once", in: -time.Minute},
		{name: "cancel stops the wait and the stack", in: time.Minute, cancel: true, wantErr: true, wantClosed: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			closed := 0
			p := startAtProvider{Provider: stubProvider{&closed}, at: time.Now().Add(tt.in), logf: t.Logf}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				time.AfterFunc(20*time.Millisecond, cancel)
			}
			began := time.Now()
			_, err := p.Start(ctx, loadharness.StackShape{})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got := time.Since(began); got < tt.minWait || got > 5*time.Second {
				t.Errorf("waited %s, want at least %s and not the whole wait", got, tt.minWait)
			}
			if got, want := closed, tt.wantClosed; got != want {
				t.Errorf("stack closed %d times, want %d", got, want)
			}
		})
	}
}

func TestShardExitCode(t *testing.T) {
	failed := []loadharness.GateResult{{Pass: false}}
	tests := []struct {
		name    string
		sharded bool
		s       reports.Summary
		want    int
	}{
		{"shard fail is provisional", true, reports.Summary{Gates: failed}, loadharness.ExitPass},
		{"shard invalid is provisional", true, reports.Summary{InvalidReasons: []string{"behind"}}, loadharness.ExitPass},
		{"whole fail", false, reports.Summary{Gates: failed}, loadharness.ExitFail},
		{"whole invalid", false, reports.Summary{InvalidReasons: []string{"behind"}}, loadharness.ExitInvalid},
		{"whole aborted", false, reports.Summary{Aborted: "browse: errors"}, loadharness.ExitFail},
		{"whole pass", false, reports.Summary{}, loadharness.ExitPass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := shardExitCode(tt.sharded, tt.s); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}
