package prefork

import (
	"fmt"
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
)

// Worker identifies the current process when it is a forked worker.
type Worker struct {
	// ID is the worker's slot, 1..N; a restarted worker keeps its slot's ID.
	ID int
	// Restarts is how many times this slot was restarted before this process.
	Restarts int
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
	return w, true
}

// env returns the environment entries that make Current return w in a child.
func (w Worker) env() []string {
	return []string{
		EnvWorkerID + "=" + strconv.Itoa(w.ID),
		EnvWorkerRestarts + "=" + strconv.Itoa(w.Restarts),
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
