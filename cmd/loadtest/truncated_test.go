package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"loadharness"
)

// TestReportOfRunCutMidWrite runs a tiny suite, cuts its raw results in the
// middle of a line as a crash would, and checks that `loadtest report`
// still reports what the file holds and says it was cut.
func TestReportOfRunCutMidWrite(t *testing.T) {
	if testing.Short() {
		t.Skip("process stack: skipped in -short mode")
	}
	run := t.TempDir()
	code, _, stderr := loadtest(t, "run", "--suite", "testdata/tiny.yaml", "--quiet", "--provider", "process",
		"--target-bin", filepath.Join(binDir, "target"), "--out", run)
	if code != loadharness.ExitPass {
		t.Fatalf("tiny run exit %d\n%s", code, stderr)
	}
	raw := filepath.Join(run, "results.json")
	data, err := os.ReadFile(raw)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.Count(data, []byte("\n"))
	if lines < 10 {
		t.Fatalf("tiny run wrote %d results, want at least 10", lines)
	}
	// Keep half the lines and half of the next one.
	cut := 0
	for range lines / 2 {
		cut += bytes.IndexByte(data[cut:], '\n') + 1
	}
	next := bytes.IndexByte(data[cut:], '\n')
	if err := os.WriteFile(raw, data[:cut+next/2], 0o644); err != nil {
		t.Fatal(err)
	}

	out := t.TempDir()
	code, stdout, stderr := loadtest(t, "report", raw, "--out", out, "--quiet")
	if code == loadharness.ExitHarness {
		t.Fatalf("report of a cut file failed (exit %d)\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	s := mustReadSummary(t, out)
	if got := strings.Join(s.Warnings, "\n"); !strings.Contains(got, "truncated at line") {
		t.Errorf("warnings %q, want the cut said plainly", s.Warnings)
	}
	total := 0
	for _, sc := range s.Scenarios {
		total += sc.Requests
	}
	if got, want := total, lines/2; got != want {
		t.Errorf("report counts %d requests, want the %d complete lines", got, want)
	}
}
