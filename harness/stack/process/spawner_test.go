package process

import (
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestChildOutlivesTheThreadThatStartedIt starts a child from a goroutine
// locked to its thread and lets that goroutine end, which retires the
// thread: a child forked on it with Pdeathsig would be killed then, as
// instance-1 of the scale-out test was at the end of a warm-up. Forked from
// the spawner's thread, it lives on.
func TestChildOutlivesTheThreadThatStartedIt(t *testing.T) {
	// Three times: one goroutine in a few lands on the main thread, which
	// the runtime wedges rather than retires.
	for i := range 3 {
		started := make(chan *process, 1)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread goes with the goroutine
			p, err := startProcess("sleeper", "sleep", []string{"30"}, filepath.Join(t.TempDir(), "sleeper.log"), nil)
			if err != nil {
				t.Error(err)
			}
			started <- p
		}()
		p := <-started
		if p == nil {
			t.FailNow()
		}
		// Give the runtime time to retire the thread and the kernel to
		// deliver the death signal, were there one.
		time.Sleep(500 * time.Millisecond)
		exited, err := p.exited()
		p.kill()
		if exited {
			t.Fatalf("child %d died with the thread that asked for it: %v", i, err)
		}
	}
}
