package prefork_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"loadharness/target/prefork"
)

// Environment the tests give the re-executed test binary.
const (
	envTestAddr = "PREFORK_TEST_ADDR" // where a worker listens
	envTestDir  = "PREFORK_TEST_DIR"  // where a worker notes its graceful exit
	envTestRole = "PREFORK_TEST_ROLE" // "supervisor": run Supervise in a child
)

// workerLifetime bounds a test worker's life in case a test forgets it.
const workerLifetime = 2 * time.Minute

// TestMain turns the test binary into a worker or a supervisor when the
// environment says so: the re-exec trick, so the tests need no other binary.
// The worker check comes first because workers inherit the supervisor's
// environment, role included.
func TestMain(m *testing.M) {
	if w, ok := prefork.Current(); ok {
		os.Exit(runTestWorker(w))
	}
	if os.Getenv(envTestRole) == "supervisor" {
		os.Exit(runTestSupervisor())
	}
	os.Exit(m.Run())
}

// workerInfo is what a test worker answers on /id.
type workerInfo struct {
	ID       int    `json:"id"`
	Restarts int    `json:"restarts"`
	PID      int    `json:"pid"`
	OwnAddr  string `json:"own_addr"`
}

// runTestWorker serves /id and /slow on the shared address, and on its own
// listener when it has one, until SIGTERM,
// then shuts down gracefully and leaves a file saying so.
func runTestWorker(w prefork.Worker) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, workerLifetime)
	defer cancel()
	ln, err := prefork.Listen(ctx, os.Getenv(envTestAddr))
	if err != nil {
		fmt.Fprintln(os.Stderr, "test worker:", err)
		return 1
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/id", func(rw http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(rw).Encode(workerInfo{ID: w.ID, Restarts: w.Restarts, PID: os.Getpid(), OwnAddr: w.OwnAddr})
	})
	mux.HandleFunc("/slow", func(rw http.ResponseWriter, r *http.Request) {
		// Headers first, so the client knows the request is in flight.
		rw.WriteHeader(http.StatusOK)
		http.NewResponseController(rw).Flush()
		time.Sleep(500 * time.Millisecond)
		fmt.Fprint(rw, "done")
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	if w.OwnAddr != "" {
		own, err := w.OwnListener()
		if err != nil {
			fmt.Fprintln(os.Stderr, "test worker:", err)
			return 1
		}
		go func() { _ = srv.Serve(own) }()
	}
	<-ctx.Done()

	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	if err := srv.Shutdown(sctx); err != nil {
		fmt.Fprintln(os.Stderr, "test worker shutdown:", err)
		return 1
	}
	if dir := os.Getenv(envTestDir); dir != "" {
		name := filepath.Join(dir, fmt.Sprintf("graceful-%d", os.Getpid()))
		if err := os.WriteFile(name, nil, 0o600); err != nil {
			return 1
		}
	}
	return 0
}

// runTestSupervisor supervises two workers in a child process, so a test can
// SIGKILL the supervisor itself.
func runTestSupervisor() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, workerLifetime)
	defer cancel()
	err := prefork.Supervise(ctx, prefork.Config{
		Workers: 2,
		Addr:    os.Getenv(envTestAddr),
		Args:    []string{"-test.run=^$"},
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "test supervisor:", err)
		return 1
	}
	return 0
}
