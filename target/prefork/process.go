package prefork

import (
	"errors"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// waitDelay bounds how long Wait keeps copying a dead worker's output, in
// case a grandchild still holds the pipe.
const waitDelay = time.Second

// process is one running worker.
type process struct {
	cmd     *exec.Cmd
	started time.Time
	done    chan struct{} // closed once the process was reaped; err is set then
	err     error
}

// start starts a worker for slot i (0-based) that was restarted restarts
// times before, and records it in the slot's status.
func (s *Supervisor) start(sp *spawner, i, restarts int) (*process, error) {
	w := Worker{ID: i + 1, Restarts: restarts}
	cmd := exec.Command(s.exe, s.cfg.Args...)
	if s.own != nil {
		w.OwnAddr = s.cfg.ownAddr(i)
		cmd.ExtraFiles = []*os.File{s.own[i]} // descriptor ownListenerFD
	}
	// Later entries win in exec's environment, so a worker's identity
	// overrides anything inherited.
	cmd.Env = append(append(os.Environ(), s.cfg.Env...), w.env()...)
	cmd.Stdout = s.cfg.Stdout
	cmd.Stderr = s.cfg.Stderr
	cmd.SysProcAttr = workerProcAttr()
	cmd.WaitDelay = waitDelay
	if err := sp.start(cmd); err != nil {
		return nil, err
	}
	p := &process{cmd: cmd, started: time.Now(), done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()

	s.mu.Lock()
	sl := &s.slots[i]
	sl.PID, sl.Running, sl.Restarts, sl.Started = p.pid(), true, restarts, p.started
	s.mu.Unlock()
	return p, nil
}

// exited records in slot i that its process p has ended.
func (s *Supervisor) exited(i int, p *process) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sl := &s.slots[i]; sl.PID == p.pid() {
		sl.Running = false
		sl.LastExit = exitText(p.err)
	}
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) signalTerm() error { return p.cmd.Process.Signal(syscall.SIGTERM) }

func (p *process) kill() error { return p.cmd.Process.Kill() }

// exitText says how a worker ended, for logs and Status.
func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.String()
	}
	return err.Error()
}
