package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"loadharness"
)

// dockerContainers lists the containers of every loadharness run, through
// the docker command the machine has.
func dockerContainers(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("docker", "ps", "-a", "-q", "--filter", "label=loadharness.run").Output()
	if err != nil {
		t.Fatalf("docker ps: %v", err)
	}
	return strings.Fields(string(out))
}

// TestSecondSignalLeavesNoContainer: a user who presses Ctrl-C twice gets
// the prompt back at once, and no container of the run outlives it.
func TestSecondSignalLeavesNoContainer(t *testing.T) {
	if testing.Short() {
		t.Skip("docker stack: skipped in -short mode")
	}
	if exec.Command("docker", "version").Run() != nil || exec.Command("docker", "image", "inspect", "loadharness/target:dev").Run() != nil {
		t.Skip("no docker engine, or the images are not built (make images): nothing to test here")
	}
	if left := dockerContainers(t); len(left) > 0 {
		t.Fatalf("containers of another run are up before this test: %v", left)
	}
	run := startUntilLoad(t, nil, "run", "--suite", "testdata/long.yaml",
		"--provider", "docker", "--out", filepath.Join(t.TempDir(), "out"), "--quiet")
	cmd, done, stderr := run.cmd, run.done, run.stderr
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("loadtest did not exit within 30 s of a second SIGINT\n%s", stderr.String())
	}
	if got, want := cmd.ProcessState.ExitCode(), loadharness.ExitInterrupted; got != want {
		t.Errorf("exit code = %d, want %d\n%s", got, want, stderr.String())
	}
	if !strings.Contains(stderr.String(), "second signal") {
		t.Errorf("stderr does not mention the second signal:\n%s", stderr.String())
	}
	if left := dockerContainers(t); len(left) > 0 {
		t.Errorf("%d container(s) left behind after two signals: %v\n%s", len(left), left, stderr.String())
		exec.Command("docker", append([]string{"rm", "-f"}, left...)...).Run()
	}
}
