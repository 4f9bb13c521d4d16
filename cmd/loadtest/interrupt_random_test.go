package main

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"loadharness"
)

// lockedBuffer is a bytes.Buffer the test may read while the child writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestInterruptAtRandomMoments interrupts tiny runs at random moments, from
// the start of the stack to its teardown, and checks each time that the run
// ends with 130 (or its verdict, when it finished first), that a summary is
// written once the stack was up, and that no process of the stack is left.
func TestInterruptAtRandomMoments(t *testing.T) {
	if testing.Short() {
		t.Skip("process stack: skipped in -short mode")
	}
	const runs = 20
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	// A full tiny run takes about this long from "starting the stack" to its
	// exit; the moments are drawn over it and a little past it.
	span := 3500 * time.Millisecond
	started := time.Now()
	for i := range runs {
		delay := time.Duration(rng.Int64N(int64(span)))
		sig := os.Interrupt
		if rng.IntN(2) == 1 {
			sig = syscall.SIGTERM
		}
		interruptOnce(t, i, delay, sig)
		if time.Since(started) > 85*time.Second {
			t.Fatalf("%d runs took %s: too slow for the 90 s budget", i+1, time.Since(started))
		}
	}
}

func interruptOnce(t *testing.T, i int, delay time.Duration, sig os.Signal) {
	t.Helper()
	out := t.TempDir()
	cmd := exec.Command(filepath.Join(binDir, "loadtest"), "run", "--suite", "testdata/tiny.yaml", "--quiet",
		"--provider", "process", "--target-bin", filepath.Join(binDir, "target"), "--out", out)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	// The signal handler is in place once the harness logs its first line.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stderr.String(), "starting the stack") && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-time.After(delay):
		_ = cmd.Process.Signal(sig) // it may have exited just now
	case <-done:
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("run %d: loadtest did not exit within 30 s of %s at %s\n%s", i, sig, delay, stderr.String())
	}
	log := stderr.String()
	code := cmd.ProcessState.ExitCode()
	stackUp := strings.Contains(log, "stack ready")
	t.Logf("run %d: %s after %s: exit %d (stack up: %v)", i, sig, delay, code, stackUp)
	switch code {
	case loadharness.ExitInterrupted, loadharness.ExitPass, loadharness.ExitFail:
	default:
		t.Errorf("run %d: exit code %d, want %d (or 0/1 when it finished first)\n%s", i, code, loadharness.ExitInterrupted, log)
	}
	if stackUp {
		if _, err := os.Stat(filepath.Join(out, "summary.json")); err != nil {
			t.Errorf("run %d: the stack was up but no summary was written: %v\n%s", i, err, log)
		}
	}
	for _, pid := range leftProcesses(t, out, log) {
		t.Errorf("run %d: process %d still alive after the run\n%s", i, pid, log)
	}
}

// leftProcesses returns the stack's processes still alive after a run: the
// pids its log named, and any process running the target binary or working
// in the run's directory (redis-server works in its data directory), which
// catches a process started before its pid was logged. It waits a little:
// a killed process takes a moment to go.
func leftProcesses(t *testing.T, outDir, log string) []int {
	t.Helper()
	targetBin := filepath.Join(binDir, "target")
	var alive []int
	for try := 0; try < 20; try++ {
		alive = alive[:0]
		for _, pid := range logPids(log) {
			if !errors.Is(syscall.Kill(pid, 0), syscall.ESRCH) && !isZombie(pid) {
				alive = append(alive, pid)
			}
		}
		entries, err := os.ReadDir("/proc")
		if err != nil {
			t.Fatalf("list processes: %v", err)
		}
		for _, e := range entries {
			pid := 0
			for _, c := range e.Name() {
				if c < '0' || c > '9' {
					pid = 0
					break
				}
				pid = pid*10 + int(c-'0')
			}
			if pid == 0 || isZombie(pid) {
				continue
			}
			exe, _ := os.Readlink(filepath.Join("/proc", e.Name(), "exe"))
			cwd, _ := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
			if exe == targetBin || strings.HasPrefix(cwd, outDir) {
				alive = append(alive, pid)
			}
		}
		if len(alive) == 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return alive
}

// logPids finds "(pid N" in the provider's log lines.
func logPids(log string) []int {
	var pids []int
	for _, line := range strings.Split(log, "\n") {
		_, rest, ok := strings.Cut(line, "(pid ")
		if !ok {
			continue
		}
		pid := 0
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
	return pids
}

// isZombie reports whether pid has exited and waits only to be reaped.
func isZombie(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "stat"))
	if err != nil {
		return true // gone
	}
	_, rest, ok := bytes.Cut(stat, []byte(") "))
	return ok && len(rest) > 0 && rest[0] == 'Z'
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
