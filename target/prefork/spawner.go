package prefork

import (
	"os/exec"
	"runtime"
)

// spawner starts every worker from one goroutine locked to its OS thread.
//
// Why: Linux delivers a worker's parent-death signal when the thread that
// forked it exits, not when the process does. Go may end an OS thread
// whenever some goroutine exits while locked to it, which could kill a
// healthy worker out of the blue; a thread locked to this goroutine for the
// whole supervision never runs anyone else's code, so it only ends with us.
type spawner struct {
	reqs chan spawnRequest
}

type spawnRequest struct {
	cmd  *exec.Cmd
	errc chan error
}

// newSpawner starts the spawning goroutine; stop ends it.
func newSpawner() *spawner {
	sp := &spawner{reqs: make(chan spawnRequest)}
	go func() {
		// Never unlocked on purpose: when this goroutine returns, its thread
		// ends, and any worker that somehow outlived shutdown gets SIGKILL.
		runtime.LockOSThread()
		for req := range sp.reqs {
			req.errc <- req.cmd.Start()
		}
	}()
	return sp
}

// start starts cmd from the spawner's thread.
func (sp *spawner) start(cmd *exec.Cmd) error {
	errc := make(chan error, 1)
	sp.reqs <- spawnRequest{cmd: cmd, errc: errc}
	return <-errc
}

// stop ends the spawning goroutine; call it once, after the last start.
func (sp *spawner) stop() { close(sp.reqs) }
