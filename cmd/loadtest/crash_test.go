package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/rundir"
	"loadharness/harness/stack/ledger"
)

// TestRunAfterKill9CleansUp kills loadtest with SIGKILL mid-run, as a lost
// CI runner or the OOM killer would, then runs again on the same output:
// the second run removes what the first left up (containers by the run's
// label, processes by their recorded groups), says what it removed, keeps
// the dead run's results aside, and those load with `loadtest report`,
// marked incomplete.
func TestRunAfterKill9CleansUp(t *testing.T) {
	if testing.Short() {
		t.Skip("stacks: skipped in -short mode")
	}
	for _, provider := range []string{"process", "docker"} {
		t.Run(provider, func(t *testing.T) {
			if provider == "docker" && (exec.Command("docker", "version").Run() != nil ||
				exec.Command("docker", "image", "inspect", "loadharness/target:dev").Run() != nil) {
				t.Skip("no docker engine, or the images are not built (make images): nothing to test here")
			}
			testRunAfterKill9(t, provider)
		})
	}
}

func testRunAfterKill9(t *testing.T, provider string) {
	state := t.TempDir()
	out := filepath.Join(t.TempDir(), "out")
	env := append(os.Environ(), ledger.StateDirEnv+"="+state)
	stackFlags := []string{"--provider", provider, "--target-bin", filepath.Join(binDir, "target")}

	run := startUntilLoad(t, env, append([]string{"run", "--suite", "testdata/long.yaml", "--out", out, "--quiet"}, stackFlags...)...)
	cmd, done := run.cmd, run.done
	time.Sleep(2 * time.Second) // some results on disk, some in the buffer
	recs, err := ledger.Records(state)
	if err != nil || len(recs) != 1 {
		cmd.Process.Kill()
		<-done
		t.Fatalf("ledger of the live run: %d record(s), %v", len(recs), err)
	}
	dead := recs[0]
	if provider == "process" && len(dead.Groups) < 3 {
		t.Errorf("the ledger records %d process groups, want redis, the instances and the balancer: %+v", len(dead.Groups), dead.Groups)
	}
	if provider == "docker" && len(dead.DockerRuns) != 1 {
		t.Errorf("the ledger records docker runs %v, want one", dead.DockerRuns)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	time.Sleep(500 * time.Millisecond) // children reparented and signalled
	left, _ := dead.Processes()
	t.Logf("after kill -9: %d process(es) and %d container(s) left up", len(left), len(containersOf(t, dead.DockerRuns)))
	if provider == "docker" && len(containersOf(t, dead.DockerRuns)) == 0 {
		t.Errorf("no container outlived kill -9: the test shows nothing about their removal")
	}

	code, _, rerunErr := loadtestEnv(t, env, append([]string{"run", "--suite", "testdata/tiny.yaml", "--out", out, "--quiet"}, stackFlags...)...)
	if code != loadharness.ExitPass {
		t.Fatalf("run after the kill: exit %d\n%s", code, rerunErr)
	}
	if left, err := dead.Processes(); err != nil || len(left) > 0 {
		t.Errorf("after the next run, %d process(es) of the dead run are still up: %v (%v)\n%s", len(left), left, err, rerunErr)
	}
	if ctrs := containersOf(t, dead.DockerRuns); len(ctrs) > 0 {
		t.Errorf("after the next run, %d container(s) of the dead run are still up\n%s", len(ctrs), rerunErr)
		exec.Command("docker", append([]string{"rm", "-f"}, ctrs...)...).Run()
	}
	if provider == "docker" && !strings.Contains(rerunErr, "container") ||
		len(left) > 0 && !strings.Contains(rerunErr, "process") {
		t.Errorf("the next run does not say what it removed:\n%s", rerunErr)
	}
	t.Logf("the next run said:\n%s", grepLines(rerunErr, "died"))
	if recs, _ := ledger.Records(state); len(recs) != 0 {
		t.Errorf("%d ledger record(s) left after a clean run: %+v", len(recs), recs)
	}

	kept, _ := filepath.Glob(out + rundir.CrashedSuffix + "*")
	if len(kept) != 1 {
		t.Fatalf("the dead run's results were not kept aside: %v\n%s", kept, rerunErr)
	}
	if !strings.Contains(rerunErr, kept[0]) {
		t.Errorf("the next run does not say where the dead run's results are:\n%s", rerunErr)
	}
	report := t.TempDir()
	code, _, reportErr := loadtestEnv(t, env, "report", kept[0], "--out", report, "--quiet")
	if code == loadharness.ExitHarness {
		t.Fatalf("report of the dead run: exit %d\n%s", code, reportErr)
	}
	s := mustReadSummary(t, report)
	if s.Complete || s.Verdict == loadharness.VerdictPass {
		t.Errorf("the dead run's report says complete %v, verdict %s; want incomplete and no pass", s.Complete, s.Verdict)
	}
	requests := 0
	for _, sc := range s.Scenarios {
		requests += sc.Requests
	}
	if requests == 0 {
		t.Errorf("the dead run's report holds no request")
	}
}

// containersOf lists the containers of the given docker runs.
func containersOf(t *testing.T, runs []string) []string {
	t.Helper()
	var ids []string
	for _, id := range runs {
		out, err := exec.Command("docker", "ps", "-a", "-q", "--filter", "label=loadharness.run="+id).Output()
		if err != nil {
			t.Fatalf("docker ps: %v", err)
		}
		ids = append(ids, strings.Fields(string(out))...)
	}
	return ids
}

// loadtestEnv is loadtest with the given environment.
func loadtestEnv(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "loadtest"), args...)
	cmd.Env = env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), stdout.String(), stderr.String()
	}
	if err != nil {
		t.Fatalf("run loadtest: %v", err)
	}
	return 0, stdout.String(), stderr.String()
}

// grepLines keeps the lines of text that hold word.
func grepLines(text, word string) string {
	var keep []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, word) {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
