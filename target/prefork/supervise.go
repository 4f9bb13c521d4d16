package prefork

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Supervise starts cfg.Workers copies of the current executable as workers
// and keeps them running until ctx is cancelled, then shuts them down (SIGTERM,
// then SIGKILL after cfg.ShutdownTimeout) and returns nil. A worker that exits
// while ctx is alive is restarted in its slot after a backoff. It fails fast,
// before starting anything, when cfg.Addr is already in use.
func Supervise(ctx context.Context, cfg Config) error {
	s, err := NewSupervisor(cfg)
	if err != nil {
		return err
	}
	return s.Run(ctx)
}

// Supervisor is Supervise with a Status to look at while it runs.
type Supervisor struct {
	cfg Config
	exe string
	ran atomic.Bool

	// own holds the listener of each slot (Config.OwnAddr) while Run
	// runs, as files to hand to each worker the slot starts; nil without.
	own []*os.File

	mu    sync.Mutex
	slots []SlotStatus
}

// NewSupervisor validates cfg and fills its defaults; Run starts the workers.
func NewSupervisor(cfg Config) (*Supervisor, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("supervise: %w", err)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("supervise: find executable: %w", err)
	}
	slots := make([]SlotStatus, cfg.Workers)
	for i := range slots {
		slots[i].ID = i + 1
	}
	return &Supervisor{cfg: cfg, exe: exe, slots: slots}, nil
}

// Status returns a snapshot of the worker slots; it is safe to call at any
// time, from any goroutine.
func (s *Supervisor) Status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Status{Slots: append([]SlotStatus(nil), s.slots...)}
}

// Run does what Supervise does; call it once.
func (s *Supervisor) Run(ctx context.Context) error {
	if !s.ran.CompareAndSwap(false, true) {
		return errors.New("supervise: Run called twice")
	}
	if err := checkFree(ctx, s.cfg.Addr); err != nil {
		return err
	}
	if s.cfg.OwnAddr != "" {
		own, err := listenOwn(ctx, s.cfg)
		if err != nil {
			return err
		}
		s.own = own
		defer closeAll(own)
	}
	sp := newSpawner()
	defer sp.stop()

	procs := make([]*process, s.cfg.Workers)
	for i := range procs {
		p, err := s.start(sp, i, 0)
		if err != nil {
			s.stopAll(procs[:i])
			return fmt.Errorf("supervise: start worker %d: %w", i+1, err)
		}
		procs[i] = p
	}
	if s.own != nil {
		s.cfg.Logf("prefork: started %d workers on %s, each also on its own %s..%s",
			s.cfg.Workers, s.cfg.Addr, s.cfg.ownAddr(0), s.cfg.ownAddr(s.cfg.Workers-1))
	} else {
		s.cfg.Logf("prefork: started %d workers on %s", s.cfg.Workers, s.cfg.Addr)
	}

	var wg sync.WaitGroup
	for i, p := range procs {
		wg.Go(func() { s.keep(ctx, sp, i, p) })
	}
	wg.Wait()
	s.cfg.Logf("prefork: all workers stopped (%s)", s.Status())
	return nil
}

// checkFree fails when anything listens on addr already. It binds without
// SO_REUSEPORT on purpose: such a bind fails even against reuseport
// listeners, so a second instance started on the port of a first one is
// refused instead of silently sharing its traffic.
func checkFree(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("supervise: address %s is not free: %w", addr, err)
	}
	if err := ln.Close(); err != nil {
		return fmt.Errorf("supervise: release %s: %w", addr, err)
	}
	return nil
}

// listenOwn binds the own listener of every slot (Config.OwnAddr) and
// returns them as files for the workers to inherit. They are bound without
// SO_REUSEPORT: the port is the slot's alone.
func listenOwn(ctx context.Context, cfg Config) ([]*os.File, error) {
	files := make([]*os.File, 0, cfg.Workers)
	var lc net.ListenConfig
	for i := range cfg.Workers {
		addr := cfg.ownAddr(i)
		ln, err := lc.Listen(ctx, "tcp", addr)
		if err != nil {
			closeAll(files)
			return nil, fmt.Errorf("supervise: own address of worker %d: %w", i+1, err)
		}
		// The file is a duplicate that keeps the socket open on its own.
		f, err := ln.(*net.TCPListener).File()
		ln.Close()
		if err != nil {
			closeAll(files)
			return nil, fmt.Errorf("supervise: own address of worker %d (%s): %w", i+1, addr, err)
		}
		files = append(files, f)
	}
	return files, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// keep runs slot i, whose first process is p, until ctx is cancelled.
func (s *Supervisor) keep(ctx context.Context, sp *spawner, i int, p *process) {
	var delay time.Duration
	restarts := 0
	for {
		select {
		case <-ctx.Done():
			s.stop(p)
			s.exited(i, p)
			return
		case <-p.done:
		}
		s.exited(i, p)
		if ctx.Err() != nil {
			return
		}
		delay = restartDelay(delay, time.Since(p.started), s.cfg.RestartBackoff)
		s.cfg.Logf("prefork: worker %d (pid %d) exited: %s; restarting in %s",
			i+1, p.pid(), exitText(p.err), delay)
		for {
			if !sleep(ctx, delay) {
				return
			}
			np, err := s.start(sp, i, restarts+1)
			if err == nil {
				p = np
				restarts++
				break
			}
			delay = restartDelay(delay, 0, s.cfg.RestartBackoff)
			s.cfg.Logf("prefork: restart worker %d: %v; retrying in %s", i+1, err, delay)
		}
		s.cfg.Logf("prefork: restarted worker %d as pid %d (%s)", i+1, p.pid(), s.Status())
	}
}

// stop asks p to finish (SIGTERM) and kills it when it has not after the
// shutdown timeout. It returns once p has exited.
func (s *Supervisor) stop(p *process) {
	// The error only says the process is gone already, which is the goal.
	_ = p.signalTerm()
	timer := time.NewTimer(s.cfg.ShutdownTimeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return
	case <-timer.C:
	}
	s.cfg.Logf("prefork: worker pid %d still running after %s: killing it", p.pid(), s.cfg.ShutdownTimeout)
	_ = p.kill()
	<-p.done
}

// stopAll stops processes in parallel, for a start that failed halfway.
func (s *Supervisor) stopAll(ps []*process) {
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Go(func() { s.stop(p) })
	}
	wg.Wait()
}

// sleep waits for d or ctx, reporting whether the whole d went by.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
