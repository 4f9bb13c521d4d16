package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/stack/ledger"
	"loadharness/reports"
)

// binDir holds loadtest and target, built once like `make build` does.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "loadtest-cli-")
	if err != nil {
		panic(err)
	}
	binDir = dir
	// Every run of these tests keeps its crash-recovery records here, not
	// in the user's state directory.
	os.Setenv(ledger.StateDirEnv, filepath.Join(dir, "state"))
	out, err := exec.Command("go", "build", "-o", dir+"/", "loadharness/cmd/loadtest", "loadharness/cmd/target").CombinedOutput()
	if err != nil {
		os.Stderr.Write(out)
		panic("build: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// loadtest runs the built binary and returns its exit code and output.
func loadtest(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	code, stdout, stderr := runForExit(t, exec.Command(filepath.Join(binDir, "loadtest"), args...))
	return code, string(stdout), stderr
}

// runForExit runs cmd and returns its exit code and output; a command that
// could not run at all fails t.
func runForExit(t *testing.T, cmd *exec.Cmd) (int, []byte, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.Bytes(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.Bytes(), stderr.String()
	default:
		t.Fatalf("run %s: %v", cmd.Path, err)
		return -1, nil, ""
	}
}

func TestValidateReportsEveryProblemWithPosition(t *testing.T) {
	code, _, stderr := loadtest(t, "validate", "--suite", "testdata/bad.yaml")
	if got, want := code, loadharness.ExitHarness; got != want {
		t.Fatalf("exit code = %d, want %d\n%s", got, want, stderr)
	}
	for _, want := range []string{
		"testdata/bad.yaml:2:",   // instances 0
		"testdata/bad.yaml:5:5",  // userz
		"testdata/bad.yaml:8:13", // p955
		"did you mean p95",       // its suggestion
		"testdata/bad.yaml:8:37", // the bare error rate above 1, at its value
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

func TestUsageErrorsExit2(t *testing.T) {
	cases := []struct {
		name string
		args []string
	}{
		{"no command", nil},
		{"unknown command", []string{"fly"}},
		{"unknown suite", []string{"run", "--suite", "no-such-suite"}},
		{"external without target", []string{"run", "--suite", "smoke", "--provider", "external"}},
		{"unknown provider", []string{"run", "--suite", "smoke", "--provider", "cloud"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := loadtest(t, tc.args...)
			if got, want := code, loadharness.ExitHarness; got != want {
				t.Errorf("exit code = %d, want %d\n%s", got, want, stderr)
			}
			if stderr == "" {
				t.Error("no message on stderr")
			}
		})
	}
}

func TestImpossibleGateExits1(t *testing.T) {
	if testing.Short() {
		t.Skip("process stack: skipped in -short mode")
	}
	out := t.TempDir()
	code, stdout, stderr := loadtest(t, "run", "--suite", "testdata/impossible.yaml", "--provider", "process",
		"--target-bin", filepath.Join(binDir, "target"), "--out", out)
	if got, want := code, loadharness.ExitFail; got != want {
		t.Fatalf("exit code = %d, want %d\nstdout:\n%s\nstderr:\n%s", got, want, stdout, stderr)
	}
	if !strings.Contains(stdout, "VERDICT: FAIL") {
		t.Errorf("stdout lacks the verdict:\n%s", stdout)
	}
	s := mustReadSummary(t, out)
	if got, want := s.Verdict, loadharness.VerdictFail; got != want {
		t.Errorf("summary verdict = %s, want %s", got, want)
	}
}

func TestInterruptWritesPartialSummaryAndTearsDown(t *testing.T) {
	if testing.Short() {
		t.Skip("process stack: skipped in -short mode")
	}
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(binDir, "loadtest"), "run", "--suite", "testdata/long.yaml",
		"--provider", "process", "--target-bin", filepath.Join(binDir, "target"), "--out", out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once the load has been running for a little while.
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), "main phase started") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("loadtest did not exit within 30 s of SIGINT\n%s", stderr.String())
	}
	if got, want := cmd.ProcessState.ExitCode(), loadharness.ExitInterrupted; got != want {
		t.Fatalf("exit code = %d, want %d\n%s", got, want, stderr.String())
	}
	s := mustReadSummary(t, out)
	if len(s.Scenarios) == 0 || s.Scenarios[0].Requests == 0 {
		t.Errorf("partial summary has no requests: %+v", s.Scenarios)
	}
	// Every process the stack started is gone: the logs name their pids.
	for _, pid := range stackPids(t, stderr.String()) {
		if !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) {
			t.Errorf("pid %d still alive after the interrupted run", pid)
		}
	}
}

// mustReadSummary reads dir's summary.json, which must hold to the
// published schema: every run test checks it that way.
func mustReadSummary(t *testing.T, dir string) reports.Summary {
	t.Helper()
	checkSummarySchema(t, filepath.Join(dir, "summary.json"))
	f, err := os.Open(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatalf("summary: %v", err)
	}
	defer f.Close()
	s, err := reports.ReadSummaryJSON(f)
	if err != nil {
		t.Fatalf("summary: %v", err)
	}
	return s
}

// stackPids finds "(pid N" in the provider's log lines.
func stackPids(t *testing.T, log string) []int {
	t.Helper()
	var pids []int
	for _, line := range strings.Split(log, "\n") {
		_, rest, ok := strings.Cut(line, "(pid ")
		if !ok {
			continue
		}
		var pid int
		for _, c := range rest {
			if c < '0' || c > '9' {
				break
			}
			pid = pid*10 + int(c-'0')
		}
		if pid > 0 {
			pids = append(pids, pid)
		}
	}
	if len(pids) < 3 {
		t.Fatalf("found %d pids in the log, want at least 3 (2 instances and the balancer):\n%s", len(pids), log)
	}
	return pids
}
