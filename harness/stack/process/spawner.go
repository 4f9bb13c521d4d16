package process

import (
	"runtime"
	"sync"
)

// Children are started with Pdeathsig, which the kernel ties to the thread
// that forked them, not to the process: when that thread exits, they are
// killed. Go retires a thread when a goroutine locked to it ends (the open
// model's pacer locks its goroutine to cut its thread's timer slack), so a
// child forked from such a thread died with it: in the scale-out test,
// instance-1 was killed silently as the warm-up's pacer ended, and every
// request after got a 502. Every child is therefore forked from one thread
// that lives as long as the process.
var (
	spawnerOnce sync.Once
	spawnerWork chan func()
)

// onSpawnerThread runs f on the spawner's thread and waits for it.
func onSpawnerThread(f func()) {
	spawnerOnce.Do(func() {
		spawnerWork = make(chan func())
		go func() {
			// Never unlocked, never returns: the thread lives as long as the
			// process, and so do the children it forked.
			runtime.LockOSThread()
			for work := range spawnerWork {
				work()
			}
		}()
	})
	done := make(chan struct{})
	spawnerWork <- func() {
		defer close(done)
		f()
	}
	<-done
}
