package prefork

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"time"
)

// Defaults for Config's zero fields.
const (
	// DefaultRestartBackoff is how long a slot waits before restarting a
	// worker that died; it doubles for a slot that keeps dying quickly.
	DefaultRestartBackoff = 100 * time.Millisecond
	// MaxRestartBackoff caps the doubling, so a crash-looping worker is
	// retried every few seconds rather than given up on.
	MaxRestartBackoff = 5 * time.Second
	// DefaultShutdownTimeout is how long workers get between SIGTERM and
	// SIGKILL: long enough for in-flight requests of the target to finish.
	DefaultShutdownTimeout = 10 * time.Second
)

// stableUptime is how long a worker must have lived for its death to count as
// an accident rather than a crash loop: the slot's backoff starts over.
const stableUptime = 10 * time.Second

// Config says what Supervise runs.
type Config struct {
	// Workers is how many worker processes to keep running, 1 or more.
	Workers int
	// Addr is the "host:port" every worker listens on through Listen. The
	// port must be given: workers cannot share port 0.
	Addr string
	// OwnAddr, when set, gives every worker a listener of its own beside
	// the shared Addr: worker N (1..Workers) gets OwnAddr's port + N - 1 on
	// its host, and reads it with Worker.OwnListener. The supervisor binds
	// them all before it starts any worker, so a busy port fails the start,
	// and holds each one for its slot's whole life, so a restarted worker
	// answers on the very socket its predecessor had and no other program
	// can take the port in between. It exists for what must reach one
	// worker in particular, which the kernel's spreading over Addr cannot
	// promise: a Prometheus scraping each worker's own counters.
	OwnAddr string
	// Args is the workers' argv after the program name; nil means
	// os.Args[1:]. The binary is always os.Executable().
	Args []string
	// Env is appended to the supervisor's environment for every worker.
	Env []string
	// Stdout and Stderr receive the workers' output; nil means the
	// supervisor's own.
	Stdout, Stderr io.Writer
	// RestartBackoff is the first wait before restarting a dead worker;
	// 0 means DefaultRestartBackoff.
	RestartBackoff time.Duration
	// ShutdownTimeout is the wait between SIGTERM and SIGKILL once the
	// context is cancelled; 0 means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// Logf receives the supervisor's own lines (worker deaths, restarts);
	// nil writes them to Stderr.
	Logf func(format string, args ...any)
}

// withDefaults validates c and fills its zero fields.
func (c Config) withDefaults() (Config, error) {
	if c.Workers < 1 {
		return c, fmt.Errorf("workers must be 1 or more, not %d", c.Workers)
	}
	_, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return c, fmt.Errorf("address %q: %w", c.Addr, err)
	}
	if port == "" || port == "0" {
		return c, fmt.Errorf("address %q: workers cannot share port 0, give a port", c.Addr)
	}
	if c.OwnAddr != "" {
		if err := c.checkOwnAddr(); err != nil {
			return c, err
		}
	}
	if c.RestartBackoff < 0 || c.ShutdownTimeout < 0 {
		return c, errors.New("restart backoff and shutdown timeout must not be negative")
	}
	if c.Args == nil && len(os.Args) > 1 {
		c.Args = os.Args[1:]
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	if c.RestartBackoff == 0 {
		c.RestartBackoff = DefaultRestartBackoff
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Logf == nil {
		w := c.Stderr
		c.Logf = func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	}
	return c, nil
}

// checkOwnAddr says what is wrong with OwnAddr: no port, a range past
// 65535, or a range that takes in the shared port on the same host (a
// worker could not bind Addr with SO_REUSEPORT on a port held without it).
func (c Config) checkOwnAddr() error {
	host, port, err := net.SplitHostPort(c.OwnAddr)
	if err != nil {
		return fmt.Errorf("own address %q: %w", c.OwnAddr, err)
	}
	first, err := strconv.Atoi(port)
	if err != nil || first < 1 {
		return fmt.Errorf("own address %q: give a port (worker N gets port+N-1)", c.OwnAddr)
	}
	last := first + c.Workers - 1
	if last > 65535 {
		return fmt.Errorf("own address %q: %d workers need ports %d..%d, past 65535", c.OwnAddr, c.Workers, first, last)
	}
	sharedHost, sharedPort, _ := net.SplitHostPort(c.Addr)
	if p, err := strconv.Atoi(sharedPort); err == nil && sharedHost == host && p >= first && p <= last {
		return fmt.Errorf("own address %q: ports %d..%d take in the shared address %s", c.OwnAddr, first, last, c.Addr)
	}
	return nil
}

// ownAddr is the own address of slot i (0-based); OwnAddr must be valid.
func (c Config) ownAddr(i int) string {
	host, port, _ := net.SplitHostPort(c.OwnAddr)
	first, _ := strconv.Atoi(port)
	return net.JoinHostPort(host, strconv.Itoa(first+i))
}

// restartDelay is how long a slot waits before restarting a worker that
// lived for lived, given the delay it waited last time (0 for none): the base
// after a long life, else double the last delay, capped.
func restartDelay(last, lived, base time.Duration) time.Duration {
	if last == 0 || lived >= stableUptime {
		return base
	}
	return min(last*2, max(base, MaxRestartBackoff))
}
