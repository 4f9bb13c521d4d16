package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/rundir"
	"loadharness/reports"
)

// TestRunWithBaselineAndServiceVersion runs the tiny suite twice against a
// service of ours, the second time slower and with --baseline naming the
// first: the second run's report carries the comparison (the one printed at
// the end, word for word), the service version given and the digest of the
// suite file's bytes, and environment.json keeps both.
func TestRunWithBaselineAndServiceVersion(t *testing.T) {
	var delay atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Duration(delay.Load()))
		w.Write([]byte("ok"))
	}))
	defer srv.Close()
	dir := t.TempDir()
	base, cur := filepath.Join(dir, "base"), filepath.Join(dir, "cur")
	run := func(out string, extra ...string) (int, string, string) {
		args := append([]string{"run", "--suite", "testdata/tiny.yaml", "--provider", "external", "--target", srv.URL, "--out", out, "--quiet"}, extra...)
		return loadtest(t, args...)
	}
	if code, stdout, stderr := run(base); code != loadharness.ExitPass {
		t.Fatalf("baseline run: exit %d\n%s%s", code, stdout, stderr)
	}
	delay.Store(int64(15 * time.Millisecond))
	code, stdout, stderr := run(cur, "--baseline", base, "--service-version", "shop 2.14.0-rc1")
	if code != loadharness.ExitPass && code != exitRegression {
		t.Fatalf("run with a baseline: exit %d, want %d or %d\n%s%s", code, loadharness.ExitPass, exitRegression, stdout, stderr)
	}
	if !strings.Contains(stdout, "compared with the baseline "+base) {
		t.Errorf("stdout lacks the comparison:\n%s", stdout)
	}
	result := regexp.MustCompile(`RESULT: [^\n]+`).FindString(stdout)
	if result == "" {
		t.Fatalf("stdout has no RESULT line:\n%s", stdout)
	}
	page, err := os.ReadFile(filepath.Join(cur, rundir.ReportHTMLFile))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{`id="baseline"`, base, "shop 2.14.0-rc1", digestOf(t, "testdata/tiny.yaml")} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	// The same comparison, not a second draw of the bootstrap.
	if !strings.Contains(html, strings.ReplaceAll(result, "'", "&#39;")) {
		t.Errorf("report.html does not carry the printed %q", result)
	}
	var env reports.Environment
	b, err := os.ReadFile(filepath.Join(cur, rundir.EnvironmentFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &env); err != nil {
		t.Fatal(err)
	}
	if env.ServiceVersion != "shop 2.14.0-rc1" || env.SuiteDigest != digestOf(t, "testdata/tiny.yaml") {
		t.Errorf("environment.json: service version %q, suite digest %q", env.ServiceVersion, env.SuiteDigest)
	}
	// loadtest report takes a baseline too.
	again := filepath.Join(dir, "again")
	if code, stdout, stderr := loadtest(t, "report", cur, "--out", again, "--baseline", base, "--quiet"); code != loadharness.ExitPass {
		t.Fatalf("report --baseline: exit %d\n%s%s", code, stdout, stderr)
	}
	if page, err := os.ReadFile(filepath.Join(again, rundir.ReportHTMLFile)); err != nil || !strings.Contains(string(page), `id="baseline"`) {
		t.Errorf("report --baseline wrote no baseline section (err %v)", err)
	}
	if code, _, stderr := loadtest(t, "report", cur, "--out", filepath.Join(dir, "again2"), "--baseline", filepath.Join(dir, "no-such-run")); code != loadharness.ExitHarness || !strings.Contains(stderr, "baseline") {
		t.Errorf("report with a missing baseline: exit %d, stderr %q", code, stderr)
	}
	// A baseline that does not exist is refused before any load is sent.
	code, _, stderr = run(filepath.Join(dir, "never"), "--baseline", filepath.Join(dir, "no-such-run"))
	if code != loadharness.ExitHarness || !strings.Contains(stderr, "--baseline") {
		t.Errorf("missing baseline: exit %d, stderr %q; want %d and a word on --baseline", code, stderr, loadharness.ExitHarness)
	}
	if _, err := os.Stat(filepath.Join(dir, "never")); !os.IsNotExist(err) {
		t.Errorf("a refused run left its output directory (err %v)", err)
	}
}

func digestOf(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}
