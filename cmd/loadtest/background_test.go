package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer that exec's copying goroutine may write
// while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// backgroundRun is a loadtest command running in the background.
type backgroundRun struct {
	cmd    *exec.Cmd
	done   chan error // receives Wait's error once
	stderr *syncBuffer
}

// startUntilLoad starts loadtest with args (and env, when not nil) and
// returns once its main phase has started; it fails the test if that takes
// more than 90 s.
func startUntilLoad(t *testing.T, env []string, args ...string) *backgroundRun {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "loadtest"), args...)
	cmd.Env = env
	r := &backgroundRun{cmd: cmd, done: make(chan error, 1), stderr: &syncBuffer{}}
	cmd.Stderr = r.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- cmd.Wait() }()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if strings.Contains(r.stderr.String(), "main phase started") {
			return r
		}
	}
	cmd.Process.Kill()
	<-r.done
	t.Fatalf("the load never started:\n%s", r.stderr.String())
	return nil
}
