package prefork

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
)

// Environment variables the supervisor sets for each worker it starts.
const (
	// EnvWorkerID carries the worker's slot number, 1..N.
	EnvWorkerID = "TARGET_WORKER_ID"
	// EnvWorkerRestarts carries how many times the slot was restarted before
	// this process was started.
	EnvWorkerRestarts = "TARGET_WORKER_RESTARTS"
	// EnvWorkerOwnAddr carries the address of the worker's own listener
	// (Config.OwnAddr), passed as file descriptor ownListenerFD; empty when
	// the worker has none.
	EnvWorkerOwnAddr = "TARGET_WORKER_OWN_ADDR"
)

// ownListenerFD is where a worker finds its own listener: the first of
// exec.Cmd.ExtraFiles, after stdin, stdout and stderr.
const ownListenerFD = 3

// Worker identifies the current process when it is a forked worker.
type Worker struct {
	// ID is the worker's slot, 1..N; a restarted worker keeps its slot's ID.
	ID int
	// Restarts is how many times this slot was restarted before this process.
	Restarts int
	// OwnAddr is the address of the listener the supervisor keeps for this
	// slot alone (Config.OwnAddr), "" when there is none.
	OwnAddr string
}

// Current reports which worker this process is, from the environment the
// supervisor set. It returns false in the supervisor, in a process that was
// not preforked, and when the variables are malformed.
func Current() (Worker, bool) {
	id, ok := os.LookupEnv(EnvWorkerID)
	if !ok {
		return Worker{}, false
	}
	w, err := parseWorker(id, os.Getenv(EnvWorkerRestarts))
	if err != nil {
		return Worker{}, false
	}
	w.OwnAddr = os.Getenv(EnvWorkerOwnAddr)
	return w, true
}

// OwnListener returns the listener the supervisor keeps for this worker's
// slot alone (see Config.OwnAddr). Call it once, from the worker: it takes
// over the inherited descriptor. Close the listener when done with it; the
// supervisor's copy keeps the port for the next worker of the slot.
func (w Worker) OwnListener() (net.Listener, error) {
	if w.OwnAddr == "" {
		return nil, errors.New("prefork: this worker has no own listener (Config.OwnAddr is empty)")
	}
	f := os.NewFile(ownListenerFD, "own listener "+w.OwnAddr)
	if f == nil {
		return nil, fmt.Errorf("prefork: own listener %s: no descriptor %d", w.OwnAddr, ownListenerFD)
	}
	// FileListener works on a duplicate, so the inherited one is closed
	// either way.
	ln, err := net.FileListener(f)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("prefork: own listener %s: %w", w.OwnAddr, err)
	}
	return ln, nil
}

// env returns the environment entries that make Current return w in a child.
func (w Worker) env() []string {
	return []string{
		EnvWorkerID + "=" + strconv.Itoa(w.ID),
		EnvWorkerRestarts + "=" + strconv.Itoa(w.Restarts),
		// Set even when empty, so that none is inherited by mistake.
		EnvWorkerOwnAddr + "=" + w.OwnAddr,
	}
}

// parseWorker reads the two environment values; an empty restart count is 0
// so that a hand-started worker only needs its ID.
func parseWorker(id, restarts string) (Worker, error) {
	n, err := strconv.Atoi(id)
	if err != nil {
		return Worker{}, fmt.Errorf("parse %s: %w", EnvWorkerID, err)
	}
	if n < 1 {
		return Worker{}, fmt.Errorf("parse %s: %d is not a slot (want 1 or more)", EnvWorkerID, n)
	}
	r := 0
	if restarts != "" {
		r, err = strconv.Atoi(restarts)
		if err != nil {
			return Worker{}, fmt.Errorf("parse %s: %w", EnvWorkerRestarts, err)
		}
		if r < 0 {
			return Worker{}, fmt.Errorf("parse %s: %d is negative", EnvWorkerRestarts, r)
		}
	}
	return Worker{ID: n, Restarts: r}, nil
}
