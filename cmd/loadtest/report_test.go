package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/rundir"
	"loadharness/reports"
	"loadharness/reports/aggregate"
	"loadharness/scenarios"
)

var cliStart = time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)

// cliRun is a synthetic run of one scenario: secs seconds at rps, log-normal
// latencies around 50ms times slowdown, a little noise per second.
func cliRun(seed uint64, secs, rps int, slowdown float64) []loadharness.Result {
	rng := rand.New(rand.NewPCG(seed, 3))
	var out []loadharness.Result
	for s := range secs {
		factor := math.Exp(0.05*rng.NormFloat64()) * slowdown
		for i := range rps {
			sent := cliStart.Add(time.Duration(s)*time.Second + time.Duration(i)*time.Second/time.Duration(rps))
			r := loadharness.Result{
				Scenario: "browse", Step: "map", Method: "GET", URL: "http://127.0.0.1:8000/map",
				User: uint32(1 + i%40), Seq: uint64(s*rps + i), Intended: sent, Sent: sent,
				Latency:  time.Duration(50 * math.Exp(0.5*rng.NormFloat64()) * factor * float64(time.Millisecond)),
				Code:     200,
				Instance: fmt.Sprintf("instance-%d", 1+i%3),
			}
			if rng.IntN(300) == 0 {
				r.Code, r.Error = 503, "503 Service Unavailable"
			}
			out = append(out, r)
		}
	}
	return out
}

func writeRawResults(t *testing.T, path string, results []loadharness.Result) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := scenarios.NewRawWriter(f)
	for i := range results {
		w.Add(&results[i])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeRunDir leaves what `loadtest run` leaves: results.json and a
// summary.json judged on gates.
func writeRunDir(t *testing.T, results []loadharness.Result, gates ...string) string {
	t.Helper()
	dir := t.TempDir()
	writeRawResults(t, filepath.Join(dir, rundir.ResultsFile), results)
	a := aggregate.New(cliStart)
	for i := range results {
		a.Add(&results[i])
	}
	s := reports.Summary{Suite: "cli", Provider: "external", Started: cliStart, Finished: cliStart.Add(time.Minute),
		Scenarios: reports.BuildScenarioSummaries(a)}
	for _, text := range gates {
		g, err := loadharness.ParseGate(text)
		if err != nil {
			t.Fatal(err)
		}
		s.Gates = append(s.Gates, g.Evaluate("browse", a))
	}
	s.Verdict = loadharness.Judge(loadharness.Evidence{Gates: s.Gates}).Verdict
	f, err := os.Create(filepath.Join(dir, rundir.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := reports.WriteSummaryJSON(f, s); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runCLI runs the command in-process.
func runCLI(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestReportMergesThreeRawFiles(t *testing.T) {
	results := cliRun(1, 20, 60, 1)
	dir := t.TempDir()
	var files []string
	for k := range 3 {
		var mine []loadharness.Result
		for i := k; i < len(results); i += 3 {
			mine = append(mine, results[i])
		}
		path := filepath.Join(dir, fmt.Sprintf("shard-%d.json", k))
		writeRawResults(t, path, mine)
		files = append(files, path)
	}
	out := filepath.Join(dir, "merged")
	code, stdout, stderr := runCLI(append([]string{"report"}, append(files, "--out", out)...)...)
	if code != loadharness.ExitPass {
		t.Fatalf("exit %d, want %d\n%s%s", code, loadharness.ExitPass, stdout, stderr)
	}
	f, err := os.Open(filepath.Join(out, rundir.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := reports.ReadSummaryJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	one := aggregate.New(cliStart)
	for i := range results {
		one.Add(&results[i])
	}
	want := one.Snapshot(loadharness.Scope{Scenario: "browse"})
	sc := got.Scenarios[0]
	if sc.Requests != want.Requests || sc.Failed != want.Failed || sc.Latency != want.Latency || sc.Codes["503"] != want.Codes["503"] {
		t.Errorf("merged browse = %d requests, %d failed, %+v; one aggregate of the sum: %d, %d, %+v",
			sc.Requests, sc.Failed, sc.Latency, want.Requests, want.Failed, want.Latency)
	}
	for _, name := range []string{rundir.ReportHTMLFile, rundir.ReportMarkdownFile, rundir.JUnitFile} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if !strings.Contains(stdout, "VERDICT: PASS") {
		t.Errorf("stdout lacks the verdict:\n%s", stdout)
	}
}

func TestReportExitsWithTheVerdict(t *testing.T) {
	dir := writeRunDir(t, cliRun(1, 10, 20, 1), "p95 < 1ms")
	code, stdout, stderr := runCLI("report", dir, "--in-place")
	if code != loadharness.ExitFail {
		t.Errorf("exit %d, want %d (a gate failed)\n%s%s", code, loadharness.ExitFail, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.ReportHTMLFile)); err != nil {
		t.Errorf("--in-place did not regenerate the run directory: %v", err)
	}
}

func TestReportUsageErrors(t *testing.T) {
	dir := writeRunDir(t, cliRun(1, 5, 10, 1), "p95 < 2s")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no input", []string{"report"}, "at least one"},
		{"missing input", []string{"report", filepath.Join(t.TempDir(), "nope")}, "no such file"},
		{"bad flag", []string{"report", "--colour"}, "flag provided but not defined"},
		{"out is the input", []string{"report", dir, "--out", dir}, "is an input"},
		{"in place with out", []string{"report", dir, "--in-place", "--out", t.TempDir()}, "alternatives"},
		{"in place of two", []string{"report", dir, dir, "--in-place"}, "one run directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(tt.args...)
			if code != loadharness.ExitHarness || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, loadharness.ExitHarness, tt.want)
			}
		})
	}
}

func TestCompareExitCodes(t *testing.T) {
	base := writeRunDir(t, cliRun(1, 40, 50, 1), "p95 < 2s")
	same := writeRunDir(t, cliRun(2, 40, 50, 1), "p95 < 2s")
	slow := writeRunDir(t, cliRun(3, 40, 50, 1.3), "p95 < 2s")
	slowNight := writeRunDir(t, cliRun(4, 40, 50, 1.4), "p95 < 2s")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"30% slower", []string{"compare", base, slow}, exitRegression, "REGRESSION"},
		{"same target", []string{"compare", base, same}, 0, "RESULT: no regression beyond the noise"},
		{"markdown", []string{"compare", base, slow, "--format", "markdown"}, exitRegression, "| Metric |"},
		{"summary files", []string{"compare", filepath.Join(base, rundir.SummaryFile), filepath.Join(slow, rundir.SummaryFile)}, exitRegression, "REGRESSION"},
		{"one argument", []string{"compare", base}, loadharness.ExitHarness, ""},
		{"an earlier night was as slow", []string{"compare", slowNight, base, slow}, 0, "run-to-run (2 baselines"},
		{"bad format", []string{"compare", base, slow, "--format", "xml"}, loadharness.ExitHarness, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\n%s%s", code, tt.wantCode, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.want) {
				t.Errorf("output lacks %q:\n%s", tt.want, stdout)
			}
		})
	}
}

func TestCompareJSON(t *testing.T) {
	base := writeRunDir(t, cliRun(1, 30, 50, 1))
	slow := writeRunDir(t, cliRun(3, 30, 50, 1.3))
	code, stdout, stderr := runCLI("compare", "--format", "json", base, slow)
	if code != exitRegression {
		t.Fatalf("exit %d, want %d\n%s", code, exitRegression, stderr)
	}
	var c reports.Comparison
	if err := json.Unmarshal([]byte(stdout), &c); err != nil {
		t.Fatalf("--format json is not JSON: %v\n%s", err, stdout)
	}
	if c.Regressions == 0 || c.Method == "" {
		t.Errorf("comparison = %+v, want regressions and the method", c)
	}
}

// An aborted run failed, and stays failed when its directory is reported
// again: the abort is part of what the judge reads back, not a reason that
// turns into "invalid" on reload.
func TestReportOfAbortedRunKeepsFail(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	out := t.TempDir()
	code, stdout, stderr := loadtest(t, "run", "--suite", "testdata/aborting.yaml", "--provider", "external",
		"--target", srv.URL, "--out", out)
	if got, want := code, loadharness.ExitFail; got != want {
		t.Fatalf("run: exit %d, want %d\n%s%s", got, want, stdout, stderr)
	}
	if s := mustReadSummary(t, out); s.Aborted == "" || s.Verdict != loadharness.VerdictFail {
		t.Fatalf("run: aborted %q, verdict %s; want an abort and fail", s.Aborted, s.Verdict)
	}
	again := t.TempDir()
	code, stdout, stderr = loadtest(t, "report", out, "--out", again)
	if got, want := code, loadharness.ExitFail; got != want {
		t.Errorf("report: exit %d, want %d\n%s%s", got, want, stdout, stderr)
	}
	if !strings.Contains(stdout, "VERDICT: FAIL") {
		t.Errorf("report: stdout lacks VERDICT: FAIL:\n%s", stdout)
	}
	if s := mustReadSummary(t, again); s.Verdict != loadharness.VerdictFail || s.Aborted == "" || s.Complete {
		t.Errorf("reported again: aborted %q, verdict %s, complete %v; want the abort kept, fail, not complete", s.Aborted, s.Verdict, s.Complete)
	}
}

// A run that cannot start its load (the target refuses connections) exits
// 2 and leaves the previous run in its directory byte for byte, with no
// .prev made; a run that does measure publishes and keeps the previous one
// as .prev.
func TestFailedRunLeavesThePreviousRunIntact(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "run")
	run := func(target string) (int, string) {
		code, stdout, stderr := loadtest(t, "run", "--suite", "testdata/tiny.yaml", "--provider", "external",
			"--target", target, "--out", out, "--quiet")
		return code, stdout + stderr
	}
	if code, output := run(srv.URL); code != loadharness.ExitPass {
		t.Fatalf("first run: exit %d\n%s", code, output)
	}
	before := map[string][]byte{}
	for _, name := range []string{rundir.SummaryFile, rundir.ResultsFile, rundir.ReportHTMLFile} {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		before[name] = b
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	code, output := run(closedURL)
	if code != loadharness.ExitHarness || !strings.Contains(output, "unreachable") {
		t.Fatalf("run against a closed port: exit %d, want %d and a word on the unreachable target\n%s", code, loadharness.ExitHarness, output)
	}
	for name, want := range before {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s changed by the failed run (err %v)", name, err)
		}
	}
	if _, err := os.Stat(out + rundir.PreviousSuffix); !os.IsNotExist(err) {
		t.Errorf("the failed run made %s%s: %v", out, rundir.PreviousSuffix, err)
	}
	if code, output := run(srv.URL); code != loadharness.ExitPass {
		t.Fatalf("third run: exit %d\n%s", code, output)
	}
	if got, err := os.ReadFile(filepath.Join(out+rundir.PreviousSuffix, rundir.SummaryFile)); err != nil || !bytes.Equal(got, before[rundir.SummaryFile]) {
		t.Errorf("the first run is not kept as %s%s (err %v)", out, rundir.PreviousSuffix, err)
	}
}
