package main

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"loadharness"
	"loadharness/harness/stack"
	"loadharness/internal/promtest"
	"loadharness/reports"
)

// freeAddr is a loopback address nothing listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	port, err := stack.FreeLoopbackPort()
	if err != nil {
		t.Fatal(err)
	}
	return "127.0.0.1:" + strconv.Itoa(port)
}

func writeSuite(t *testing.T, text string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "suite.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}

// okServer answers every request at once, counting them.
func okServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		fmt.Fprint(w, `{"status":"accepted"}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// A Prometheus that scrapes --prometheus-listen sees the run's requests
// while it runs, labelled with the run_id its summary records.
func TestPrometheusScrapesTheRunWhileItRuns(t *testing.T) {
	listen := freeAddr(t)
	// Not WaitUp: listen is up only once the run starts.
	prom := promtest.Start(t, promtest.Config{Targets: map[string]string{"loadtest": listen}})
	srv, _ := okServer(t)
	suiteFile := writeSuite(t, `name: live-scrape
scenarios:
  - name: browse
    users: 2
    think: 50ms
    duration: 8s
    steps:
      - {name: page, path: /page}
    gates: [error_rate < 1%]
`)
	out := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(filepath.Join(binDir, "loadtest"), "run", suiteFile, "--provider", "external",
		"--target", srv.URL, "--out", out, "--quiet", "--prometheus-listen", listen)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		select {
		case <-done:
		default:
			cmd.Process.Kill()
			<-done
		}
	})
	const q = `sum by (run_id) (loadtest_requests_total{job="loadtest", phase="main", scenario="browse", step="page"})`
	var seen model.Vector
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) == 0 || seen[0].Value == 0 {
		select {
		case <-done:
			t.Fatalf("the run ended before Prometheus saw a request\nstdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus saw no request in 30s\nstderr:\n%s", stderr.String())
		}
		time.Sleep(250 * time.Millisecond)
		seen = promtest.Query(t, prom, q)
	}
	select {
	case <-done:
		t.Fatal("the run had ended when Prometheus's answer came: it must be seen while running")
	default:
	}
	t.Logf("while the run went on, Prometheus counted %v requests of run %s", seen[0].Value, seen[0].Metric["run_id"])
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the run did not end\nstderr:\n%s", stderr.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != loadharness.ExitPass {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	s := mustReadSummary(t, out)
	if got := string(seen[0].Metric["run_id"]); got == "" || got != s.RunID {
		t.Errorf("Prometheus's series have run_id %q, summary.json %q", got, s.RunID)
	}
	if !strings.Contains(stderr.String(), "run "+s.RunID+": ") {
		t.Errorf("the run's start line does not name run %s:\n%s", s.RunID, stderr.String())
	}
	if got, final := float64(seen[0].Value), float64(s.Scenarios[0].Requests); got > final || got <= 0 {
		t.Errorf("Prometheus counted %v requests during the run, the run %v in all", got, final)
	}
}

// What a run pushes with --remote-write is what summary.json says: the
// last value of every series, summed per scenario and phase, equals the
// summary's counts exactly, for a run with setup, warm-up, failures,
// failed checks and dropped hits.
func TestRemoteWriteMatchesSummaryExactly(t *testing.T) {
	prom := promtest.Start(t, promtest.Config{RemoteWriteReceiver: true})
	srv := httptest.NewServer(exportTarget())
	defer srv.Close()
	suiteFile := writeSuite(t, exportSuite)
	out := filepath.Join(t.TempDir(), "run")
	code, stdout, stderr := loadtest(t, "run", suiteFile, "--provider", "external", "--target", srv.URL, "--out", out,
		"--quiet", "--remote-write", prom+"/api/v1/write", "--remote-write-interval", "1s")
	if code != loadharness.ExitPass && code != loadharness.ExitFail && code != loadharness.ExitInvalid {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	s := mustReadSummary(t, out)
	for _, w := range s.Warnings {
		if strings.Contains(w, "remote write") {
			t.Fatalf("the push to a working Prometheus warns: %s", w)
		}
	}
	if !strings.Contains(stderr, "remote write: ") || !strings.Contains(stderr, "samples sent to "+prom) {
		t.Errorf("stderr does not say what was sent:\n%s", stderr)
	}
	// figure is one count of one scenario and phase, as summary.json says
	// it and as Prometheus holds it.
	type key struct{ scenario, phase, metric string }
	want := map[key]int{}
	for _, sc := range s.Scenarios {
		phases := map[string]*reports.Figures{"main": &sc.Figures, "setup": sc.Setup, "warmup": sc.Warmup}
		for phase, f := range phases {
			if f == nil {
				continue
			}
			want[key{sc.Name, phase, "loadtest_requests_total"}] = f.Requests
			want[key{sc.Name, phase, "loadtest_requests_failed_total"}] = f.Failed
			want[key{sc.Name, phase, "loadtest_dropped_hits_total"}] = f.Dropped
			want[key{sc.Name, phase, "loadtest_checks_failed_total"}] = f.ChecksFailed
			want[key{sc.Name, phase, "loadtest_request_duration_seconds_count"}] = f.Requests
			want[key{sc.Name, phase, "loadtest_sessions_checked_total"}] = f.SessionsChecked
			want[key{sc.Name, phase, "loadtest_sessions_lost"}] = f.SessionsLost
		}
	}
	got := map[key]int{}
	for _, metric := range []string{
		"loadtest_requests_total", "loadtest_requests_failed_total", "loadtest_dropped_hits_total",
		"loadtest_checks_failed_total", "loadtest_request_duration_seconds_count",
		"loadtest_sessions_checked_total", "loadtest_sessions_lost",
	} {
		for _, sample := range promtest.Query(t, prom, fmt.Sprintf(`sum by (scenario, phase) (%s{run_id=%q, suite=%q})`, metric, s.RunID, s.Suite)) {
			got[key{string(sample.Metric["scenario"]), string(sample.Metric["phase"]), metric}] = int(sample.Value)
		}
	}
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok && w != 0:
			t.Errorf("%s of %s in %s: summary.json says %d, Prometheus has no series", k.metric, k.scenario, k.phase, w)
		case g != w:
			t.Errorf("%s of %s in %s: Prometheus says %d, summary.json %d", k.metric, k.scenario, k.phase, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok && g != 0 {
			t.Errorf("Prometheus has %s of %s in %s = %d, which summary.json does not count", k.metric, k.scenario, k.phase, g)
		}
	}
	orders := want[key{"orders", "main", "loadtest_requests_total"}]
	dropped := want[key{"orders", "main", "loadtest_dropped_hits_total"}]
	failed := want[key{"orders", "main", "loadtest_requests_failed_total"}]
	warmup := want[key{"orders", "warmup", "loadtest_requests_total"}]
	t.Logf("orders: %d requests, %d failed, %d dropped in the main phase, %d warm-up requests: equal in Prometheus and summary.json", orders, failed, dropped, warmup)
	if orders == 0 || dropped == 0 || failed == 0 || warmup == 0 {
		t.Errorf("the run lacks a shape the comparison needs: %d requests, %d dropped, %d failed, %d warm-up requests", orders, dropped, failed, warmup)
	}
	// Pushed during the run, not only at its end: browse ran 2s, pushed
	// every second, so its series has a sample before the final one.
	points := promtest.Query(t, prom, fmt.Sprintf(`count_over_time(loadtest_requests_total{run_id=%q, scenario="browse", phase="main"}[10m])`, s.RunID))
	if len(points) == 0 || points[0].Value < 2 {
		t.Errorf("Prometheus holds %v samples of browse's requests, want some pushed during the run besides the final one", points)
	}
}

// A dead remote-write receiver changes nothing of the run: it passes, exits
// 0, and its summary names the samples that were dropped.
func TestDeadRemoteWriteReceiverKeepsTheVerdict(t *testing.T) {
	if testing.Short() {
		t.Skip("a 2s run: skipped in -short mode")
	}
	srv, hits := okServer(t)
	suiteFile := writeSuite(t, `name: dead-receiver
scenarios:
  - name: browse
    users: 2
    think: 20ms
    duration: 2s
    steps:
      - {name: page, path: /page}
    gates: [error_rate < 1%, requests > 10]
`)
	out := filepath.Join(t.TempDir(), "run")
	dead := "http://" + freeAddr(t) + "/api/v1/write"
	begin := time.Now()
	code, stdout, stderr := loadtest(t, "run", suiteFile, "--provider", "external", "--target", srv.URL, "--out", out,
		"--quiet", "--remote-write", dead, "--remote-write-interval", "300ms")
	took := time.Since(begin)
	if code != loadharness.ExitPass {
		t.Fatalf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	s := mustReadSummary(t, out)
	if s.Verdict != loadharness.VerdictPass {
		t.Errorf("verdict %s, want pass", s.Verdict)
	}
	dropped := regexp.MustCompile(`^remote write to (\S+): (\d+) of (\d+) samples dropped, (\d+) sends failed`)
	var m []string
	for _, w := range s.Warnings {
		if m = dropped.FindStringSubmatch(w); m != nil {
			break
		}
	}
	if m == nil {
		t.Fatalf("no warning names the dropped samples: %q", s.Warnings)
	}
	n, _ := strconv.Atoi(m[2])
	gathered, _ := strconv.Atoi(m[3])
	if m[1] != dead || n == 0 || n != gathered {
		t.Errorf("warning %q: want every sample for %s dropped, and more than none", m[0], dead)
	}
	if !strings.Contains(stderr, "WARNING: remote write to "+dead) {
		t.Errorf("stderr does not print the warning:\n%s", stderr)
	}
	t.Logf("%d requests, the run took %v; %s", hits.Load(), took, m[0])
}

// Flags that cannot work stop the run before any load, with exit 2 and a
// message that names the flag; nothing is written.
func TestPrometheusFlagsAreCheckedBeforeAnyLoad(t *testing.T) {
	srv, hits := okServer(t)
	suiteFile := writeSuite(t, `name: checked-flags
scenarios:
  - name: browse
    users: 1
    duration: 1s
    steps:
      - {name: page, path: /page}
    gates: [error_rate < 1%]
`)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"address in use", []string{"--prometheus-listen", busy.Addr().String()}, "--prometheus-listen: listen tcp " + busy.Addr().String()},
		{"no port", []string{"--prometheus-listen", "127.0.0.1"}, "--prometheus-listen: \"127.0.0.1\": want HOST:PORT"},
		{"port out of range", []string{"--prometheus-listen", "127.0.0.1:70000"}, "port \"70000\" is not a number"},
		{"remote write without a path", []string{"--remote-write", "http://127.0.0.1:9090"}, "--remote-write: "},
		{"remote write not http", []string{"--remote-write", "127.0.0.1:9090/api/v1/write"}, "want an http:// or https:// URL"},
		{"interval without remote write", []string{"--remote-write-interval", "1s"}, "--remote-write-interval goes with --remote-write"},
		{"interval zero", []string{"--remote-write", "http://127.0.0.1:9/api/v1/write", "--remote-write-interval", "0s"}, "want a positive duration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			code, _, stderr := loadtest(t, append([]string{"run", suiteFile, "--provider", "external", "--target", srv.URL, "--out", out}, tc.args...)...)
			if code != loadharness.ExitHarness {
				t.Errorf("exit %d, want %d\n%s", code, loadharness.ExitHarness, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr does not say %q:\n%s", tc.want, stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s was created: the run went past its checks", out)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the target got %d requests, want none", n)
	}
}

// A run id sorts runs by their start, in UTC whatever the machine's zone,
// and tells apart two runs started in one second.
func TestNewRunID(t *testing.T) {
	start := time.Date(2025, 7, 29, 14, 0, 5, 0, time.FixedZone("CEST", 2*3600))
	a, b := newRunID(start), newRunID(start)
	shape := regexp.MustCompile(`^20250729T120005Z-[0-9a-f]{6}$`)
	if !shape.MatchString(a) || !shape.MatchString(b) {
		t.Errorf("run ids %q, %q; want 20250729T120005Z-xxxxxx", a, b)
	}
	if a == b {
		t.Errorf("two runs started in one second share the id %q", a)
	}
	if later := newRunID(start.Add(time.Second)); later <= a {
		t.Errorf("a run started later has id %q, not after %q", later, a)
	}
}
