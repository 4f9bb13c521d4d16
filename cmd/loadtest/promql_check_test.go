package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"loadharness"
)

// badPromQLSuite has one bad PromQL expression a line, written the ways a
// suite writes gates: plain, in single quotes (the text starts one column
// later), with Go escapes, and on the suite (checked once, not once per
// scenario).
const badPromQLSuite = "name: p\n" + // 1
	"gates: ['promql(`sum(x) by`) < 1']\n" + // 2
	"scenarios:\n" + // 3
	"  - name: a\n" + // 4
	"    users: 1\n" + // 5
	"    duration: 1s\n" + // 6
	"    steps: [{name: h, path: /}]\n" + // 7
	"    gates:\n" + // 8
	"      - promql(`rate(x[5m)`) < 1\n" + // 9
	"      - 'promql(\"avg(x[5m])\") < 1'\n" + // 10
	"      - 'promql(\"x{a=\\\"é\\\"} + rat(y)\") < 1'\n" + // 11
	"      - promql(`x{job=\"target}`) < 1\n" + // 12
	"      - promql(`up`) == 1\n" + // 13
	"  - name: b\n" + // 14
	"    users: 1\n" + // 15
	"    duration: 1s\n" + // 16
	"    steps: [{name: h, path: /}]\n" // 17

// TestValidatePointsAtBadPromQL: every expression Prometheus would refuse
// is reported at once, at the file's line and column of the character it
// refused, with Prometheus's message.
func TestValidatePointsAtBadPromQL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "suite.yaml")
	if err := os.WriteFile(path, []byte(badPromQLSuite), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := loadtest(t, "validate", path, "--prometheus-url", "http://127.0.0.1:9")
	if code != loadharness.ExitHarness {
		t.Errorf("exit %d, want %d\n%s", code, loadharness.ExitHarness, stderr)
	}
	tests := []struct {
		name string
		want string
	}{
		// gate text at column 10; "by" needs a "(" after it: the closing
		// quote, the gate's 18th character.
		{"suite gate", "suite.yaml:2:27: gate promql(`sum(x) by`): parse error: unexpected end of input in grouping opts"},
		// text at 9; the ")" is the 18th character of the gate.
		{"plain", "suite.yaml:9:26: gate promql(`rate(x[5m)`): parse error: unexpected \")\" in subquery or range"},
		// text at 10 (after the quote); the range vector x[5m] at its 13th.
		{"single quoted", "suite.yaml:10:22: gate promql(`avg(x[5m])`): parse error: expected type instant vector in aggregation expression, got range vector"},
		// escapes counted as written: \" is two columns, é one; "rat"
		// is the gate's 22nd character.
		{"escapes", "suite.yaml:11:31: gate promql(`x{a=\"é\"} + rat(y)`): parse error: unknown function with name \"rat\""},
		{"unterminated label value", "suite.yaml:12:23: gate promql(`x{job=\"target}`): parse error: unterminated quoted string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr:\n%s\nwant a line with\n%s", stderr, tt.want)
			}
		})
	}
	if n := strings.Count(stderr, "parse error"); n != len(tests) {
		t.Errorf("%d parse errors, want %d (the suite's gate once, the good one never):\n%s", n, len(tests), stderr)
	}
}

// TestPromQLGatesNeedAPrometheus: a promql gate with no Prometheus to read
// is refused before any load, at the gate, unless the stack brings one up
// (process and docker providers) or --prometheus-url names one.
func TestPromQLGatesNeedAPrometheus(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	const scenario = "scenarios:\n  - name: a\n    users: 1\n    duration: 1s\n    steps: [{name: h, path: /}]\n    gates: [\"promql(`up`) == 1\"]\n"
	plain := write("plain.yaml", "name: plain\n"+scenario)
	own := write("own.yaml", "name: own\nstack: {prometheus: true}\n"+scenario)
	const refused = "plain.yaml:7:14: gate promql(`up`): needs a Prometheus: give --prometheus-url URL, or set prometheus: true under the suite's stack"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no Prometheus", []string{"validate", plain}, loadharness.ExitHarness, refused},
		{"the flag", []string{"validate", plain, "--prometheus-url", "http://127.0.0.1:9090"}, loadharness.ExitPass, ""},
		{"the stack's own", []string{"validate", own}, loadharness.ExitPass, ""},
		{"the stack's own, process", []string{"validate", own, "--provider", "process"}, loadharness.ExitPass, ""},
		{"an external service brings none", []string{"validate", own, "--target", "http://127.0.0.1:9"}, loadharness.ExitHarness,
			"own.yaml:8:14: gate promql(`up`): needs a Prometheus, and an external service brings none: give --prometheus-url URL"},
		{"an external service and the flag", []string{"validate", plain, "--target", "http://127.0.0.1:9", "--prometheus-url", "http://127.0.0.1:9090"},
			loadharness.ExitPass, ""},
		{"a URL that is not one", []string{"validate", plain, "--prometheus-url", "127.0.0.1:9090"}, loadharness.ExitHarness,
			`--prometheus-url "127.0.0.1:9090": want an http:// or https:// URL`},
		{"run refuses before any file", []string{"run", plain, "--out", filepath.Join(dir, "out")}, loadharness.ExitHarness, refused},
		{"capacity refuses before any load", []string{"capacity", "--suite", plain, "--out", filepath.Join(dir, "cap")}, loadharness.ExitHarness, refused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := loadtest(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tt.wantCode, tt.wantErr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); !os.IsNotExist(err) {
		t.Errorf("a refused run touched its output: %v", err)
	}
}

// TestRunReadsPromQLGatesFromTheFlag: run --prometheus-url is the
// Prometheus the gates read. The fake Prometheus answers every range query
// with the points 0.2 and 0.7, so `< 0.6` fails at 0.7 and `> 0.1` passes
// at 0.2, and the summary says so.
func TestRunReadsPromQLGatesFromTheFlag(t *testing.T) {
	prom := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/targets") {
			fmt.Fprint(w, `{"status":"success","data":{"activeTargets":[],"droppedTargets":[]}}`)
			return
		}
		fmt.Fprint(w, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"job":"x"},"values":[[1796637600,"0.2"],[1796637601,"0.7"]]}]}}`)
	}))
	defer prom.Close()
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer target.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "suite.yaml")
	text := "name: flag\nabort: off\nscenarios:\n  - name: a\n    users: 2\n    rate: 10/s\n    duration: 1s\n    steps: [{name: h, path: /}]\n" +
		"    gates: [\"promql(`cpu`) < 0.6\", \"promql(`cpu`) > 0.1\"]\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	code, _, stderr := loadtest(t, "run", path, "--target", target.URL, "--prometheus-url", prom.URL, "--out", out, "--quiet")
	if code != loadharness.ExitFail {
		t.Fatalf("exit %d, want %d (one promql gate fails)\n%s", code, loadharness.ExitFail, stderr)
	}
	s := mustReadSummary(t, out)
	want := map[string]struct {
		pass     bool
		measured float64
	}{
		"promql(`cpu`) < 0.6": {false, 0.7},
		"promql(`cpu`) > 0.1": {true, 0.2},
	}
	for _, g := range s.Gates {
		w, ok := want[g.Gate.String()]
		if !ok {
			t.Errorf("unexpected gate %s", g.Display)
			continue
		}
		delete(want, g.Gate.String())
		if g.Missing || g.Pass != w.pass || g.Measured != w.measured {
			t.Errorf("%s: pass %v, measured %v, missing %v; want pass %v, measured %v", g.Display, g.Pass, g.Measured, g.Missing, w.pass, w.measured)
		}
	}
	if len(want) > 0 {
		t.Errorf("gates missing from the summary: %v", want)
	}
}

// TestValidateChecksAnAutoscaleQuery: a scaling policy on PromQL is checked
// like a promql gate: its expression at the file's line and column, and
// the Prometheus it needs.
func TestValidateChecksAnAutoscaleQuery(t *testing.T) {
	const src = `name: scaling
stack: {instances: 1}
scenarios:
  - name: a
    users: 5
    duration: 10s
    steps: [map]
    gates: [p95 < 2s]
    autoscale:
      signal: promql
      query: avg(rate(process_cpu_seconds_total[30s])) >
      above: 60%
      max_instances: 2
`
	path := filepath.Join(t.TempDir(), "suite.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := loadtest(t, "validate", path)
	// The query is at column 14; Prometheus refuses the end, after ">".
	for _, want := range []string{
		"suite.yaml:11:57: autoscale query",
		"parse error: unexpected end of input",
		"suite.yaml:11:14: autoscale query \"avg(rate(process_cpu_seconds_total[30s])) >\": needs a Prometheus",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr:\n%s\nwant a line with %q", stderr, want)
		}
	}
	if code != loadharness.ExitHarness {
		t.Errorf("exit %d, want %d", code, loadharness.ExitHarness)
	}
	good := strings.Replace(src, "[30s])) >", "[30s]))", 1)
	os.WriteFile(path, []byte(good), 0o644)
	if code, stdout, stderr := loadtest(t, "validate", path, "--prometheus-url", "http://127.0.0.1:9"); code != 0 {
		t.Errorf("a good query with a Prometheus: exit %d\n%s%s", code, stdout, stderr)
	}
}
