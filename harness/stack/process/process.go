package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"
	"time"

	"loadharness/harness/stack"
)

// process is one child program the harness started: a Redis server, a
// target instance (with its workers) or the balancer. It runs in its own
// process group so that killing it kills its workers too, and it dies with
// the harness (Pdeathsig) so a crashed harness leaves nothing serving.
type process struct {
	name string
	cmd  *exec.Cmd
	log  io.Closer
	done chan struct{}
	err  error // set before done closes
}

// startProcess starts bin with args, its output appended to logPath, and
// records it with track (when not nil) so a crashed harness's next run can
// find it.
func startProcess(name, bin string, args []string, logPath string, track stack.Tracker) (*process, error) {
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("start %s: open log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = childAttr()
	// Pdeathsig follows the forking thread: fork from one that never exits
	// (spawner.go).
	onSpawnerThread(func() { err = cmd.Start() })
	if err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, log: logFile, done: make(chan struct{})}
	if track != nil {
		if err := track.Process(name, cmd.Process.Pid); err != nil {
			// Unrecorded, it could outlive a crashed harness: do not run it.
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			cmd.Wait()
			logFile.Close()
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
	}
	go func() {
		p.err = cmd.Wait()
		logFile.Close()
		close(p.done)
	}()
	return p, nil
}

// Pid is the process id (and process group id) of the child.
func (p *process) Pid() int { return p.cmd.Process.Pid }

// exited reports whether the process has ended, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.err
	default:
		return false, nil
	}
}

// kill sends SIGKILL to the whole group: the instant death of a machine.
func (p *process) kill() error {
	if done, _ := p.exited(); done {
		return nil
	}
	if err := syscall.Kill(-p.Pid(), syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s (pid %d): %w", p.name, p.Pid(), err)
	}
	<-p.done
	return nil
}

// stop asks the group to finish in-flight work (SIGTERM) and kills it when
// ctx ends first.
func (p *process) stop(ctx context.Context) error {
	if done, _ := p.exited(); done {
		return nil
	}
	if err := syscall.Kill(-p.Pid(), syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop %s (pid %d): %w", p.name, p.Pid(), err)
	}
	select {
	case <-p.done:
		return nil
	case <-ctx.Done():
		return p.kill()
	}
}

// stopWithin is stop bounded by d.
func (p *process) stopWithin(d time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return p.stop(ctx)
}
