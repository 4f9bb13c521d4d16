package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/rundir"
	"loadharness/reports"
)

// TestFullDiskStopsTheRunAndKeepsWhatWasWritten runs loadtest under a file
// size limit (ulimit -f, the disk filling up as one file sees it): the run
// must stop soon after its raw results can no longer be written, exit 2
// with a message that says so, and leave a summary and the results written
// so far that `loadtest report` reads.
func TestFullDiskStopsTheRunAndKeepsWhatWasWritten(t *testing.T) {
	if testing.Short() {
		t.Skip("process stack: skipped in -short mode")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash for ulimit -f")
	}
	out := filepath.Join(t.TempDir(), "out")
	// 100 KiB: the raw writer's first 64 KiB flush fits, its second is
	// cut in the middle of a line. The 60 s suite would write far more.
	const limitKiB = 100
	script := fmt.Sprintf(`ulimit -f %d && exec "$@"`, limitKiB)
	cmd := exec.Command(bash, "-c", script, "loadtest", filepath.Join(binDir, "loadtest"), "run",
		"--suite", "testdata/long.yaml", "--quiet", "--provider", "process",
		"--target-bin", filepath.Join(binDir, "target"), "--out", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	err = cmd.Run()
	took := time.Since(start)
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if code != loadharness.ExitHarness {
		t.Fatalf("exit %d, want %d (the harness could not keep its results)\n%s", code, loadharness.ExitHarness, stderr.String())
	}
	if !strings.Contains(stderr.String(), "file too large") || !strings.Contains(stderr.String(), rundir.ResultsFile) {
		t.Errorf("stderr does not say which write failed and why:\n%s", stderr.String())
	}
	if took > 45*time.Second {
		t.Errorf("the run took %v: it went on after its results could not be written", took.Round(time.Second))
	}

	s := mustReadSummary(t, out)
	if s.Complete {
		t.Error("the summary of a run that could not write its results says it is complete")
	}
	if s.Verdict == loadharness.VerdictPass {
		t.Errorf("verdict %s for a run stopped by a full disk", s.Verdict)
	}
	raw := filepath.Join(out, rundir.ResultsFile)
	st, err := os.Stat(raw)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != limitKiB<<10 {
		t.Errorf("results.json is %d bytes, want the %d the limit let through", st.Size(), limitKiB<<10)
	}
	report := t.TempDir()
	code, _, reportErr := loadtest(t, "report", raw, "--out", report, "--quiet")
	if code == loadharness.ExitHarness {
		t.Fatalf("report of the cut results: exit %d\n%s", code, reportErr)
	}
	rs := mustReadSummary(t, report)
	requests := 0
	for _, sc := range rs.Scenarios {
		requests += sc.Requests
		for _, phase := range []*reports.Figures{sc.Setup, sc.Warmup} {
			if phase != nil {
				requests += phase.Requests
			}
		}
	}
	if lines := strings.Count(mustReadFile(t, raw), "\n"); requests != lines {
		t.Errorf("report counts %d requests, want the %d complete lines", requests, lines)
	}
}

func mustReadFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
