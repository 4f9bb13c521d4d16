package stack

import (
	"context"
	"fmt"
	"maps"
	"net"
	"net/http"
	"slices"
	"time"
)

// FreeLoopbackPort asks the kernel for a free port on 127.0.0.1. The port is
// released before it is used, so another process could take it in between;
// on loopback in a test machine that race is rare and shows as a clear
// "address in use" from the process that loses it.
func FreeLoopbackPort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// WaitHTTP polls url until it answers 200 or ctx ends. It returns the last
// failure so that a stack that never comes up says why.
func WaitHTTP(ctx context.Context, url string) error {
	client := &http.Client{Timeout: time.Second}
	var last error
	for delay := 20 * time.Millisecond; ; delay = min(delay*2, 250*time.Millisecond) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w (last: %v)", url, ctx.Err(), last)
		case <-time.After(delay):
		}
	}
}

// WorkerHeader names the target's worker process that answered
// (docs/target-api.md).
const WorkerHeader = "X-Worker"

// WorkersTimeout bounds WaitWorkers.
const WorkersTimeout = 30 * time.Second

// WaitWorkers polls url, each time on a fresh connection, until workers
// distinct worker processes (WorkerHeader) have answered 200, or ctx ends.
// An instance's workers each bind its port with SO_REUSEPORT, and the
// kernel spreads new connections over the workers bound so far: one answer
// says that one worker is up, not all. A run on an instance whose worker is
// still starting measures fewer workers than its stack says; a stack of
// memory sessions over two workers then loses no session, and passes.
//
// It gives up after WorkersTimeout whatever ctx: it is asked once the
// instance answered, when the others are seconds away or never coming.
func WaitWorkers(ctx context.Context, url string, workers int) error {
	if workers <= 1 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, WorkersTimeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	seen := map[string]bool{}
	var last error
	for delay := 10 * time.Millisecond; ; delay = min(delay*2, 250*time.Millisecond) {
		// Each new connection reaches a given bound worker one time in
		// workers: a few rounds each make a miss of a listening one unlikely.
		for range 4 * workers {
			worker, err := answeringWorker(ctx, client, url)
			if err != nil {
				last = err
				break
			}
			seen[worker] = true
			if len(seen) >= workers {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for %d workers at %s: %d answered (%v): %w (last: %v)", workers, url, len(seen), slices.Sorted(maps.Keys(seen)), ctx.Err(), last)
		case <-time.After(delay):
		}
	}
}

// answeringWorker asks url once and returns the worker that answered 200.
func answeringWorker(ctx context.Context, client *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("status %s", resp.Status)
	}
	worker := resp.Header.Get(WorkerHeader)
	if worker == "" {
		return "", fmt.Errorf("the answer names no worker (%s)", WorkerHeader)
	}
	return worker, nil
}
