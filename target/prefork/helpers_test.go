package prefork_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"loadharness/target/prefork"
)

// mustFreeAddr returns a loopback address nobody listens on right now.
func mustFreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("find a free port: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		tb.Fatalf("free port: %v", err)
	}
	return addr
}

// mustFreePorts returns the first of n consecutive loopback ports nobody
// listens on right now.
func mustFreePorts(tb testing.TB, n int) int {
	tb.Helper()
	for range 50 {
		first, err := strconv.Atoi(mustFreeAddr(tb)[len("127.0.0.1:"):])
		if err != nil {
			tb.Fatal(err)
		}
		free := first+n-1 <= 65535
		for k := 1; k < n && free; k++ {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(first+k))
			if err != nil {
				free = false
				break
			}
			ln.Close()
		}
		if free {
			return first
		}
	}
	tb.Fatalf("found no %d consecutive free ports in 50 tries", n)
	return 0
}

// freshClient opens a new connection per request, so that SO_REUSEPORT can
// hand each one to a different worker.
func freshClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true},
		Timeout:   2 * time.Second,
	}
}

// ask asks whichever worker accepts the connection who it is.
func ask(c *http.Client, addr string) (workerInfo, error) {
	resp, err := c.Get("http://" + addr + "/id")
	if err != nil {
		return workerInfo{}, err
	}
	defer resp.Body.Close()
	var info workerInfo
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return workerInfo{}, fmt.Errorf("decode /id: %w", err)
	}
	return info, nil
}

// waitFor polls cond every 20ms until it holds or timeout passes.
func waitFor(tb testing.TB, timeout time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// running is a supervisor started by startSupervisor.
type running struct {
	sup    *prefork.Supervisor
	addr   string
	cancel context.CancelFunc
	errc   chan error
}

// mustStartSupervisor runs cfg's workers as re-executed test binaries and
// stops them when the test ends; it fills Args, Addr and a quiet Logf.
func mustStartSupervisor(tb testing.TB, cfg prefork.Config) *running {
	tb.Helper()
	if cfg.Addr == "" {
		cfg.Addr = mustFreeAddr(tb)
	}
	cfg.Args = []string{"-test.run=^$"}
	cfg.Env = append(cfg.Env, envTestAddr+"="+cfg.Addr)
	cfg.Logf = tb.Logf
	sup, err := prefork.NewSupervisor(cfg)
	if err != nil {
		tb.Fatalf("NewSupervisor: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{sup: sup, addr: cfg.Addr, cancel: cancel, errc: make(chan error, 1)}
	go func() { r.errc <- sup.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case <-r.errc:
		case <-time.After(15 * time.Second):
			tb.Errorf("supervisor did not stop within 15s")
		}
	})
	return r
}

// wait returns Run's result, failing the test if it takes over timeout.
func (r *running) wait(tb testing.TB, timeout time.Duration) error {
	tb.Helper()
	select {
	case err := <-r.errc:
		r.errc <- err // leave it for Cleanup
		return err
	case <-time.After(timeout):
		tb.Fatalf("supervisor did not return within %s", timeout)
		return nil
	}
}
