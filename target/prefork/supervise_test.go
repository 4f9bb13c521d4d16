package prefork_test

import (
	"context"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"loadharness/target/prefork"
)

func TestSupervisorSpreadsConnectionsOverWorkers(t *testing.T) {
	r := mustStartSupervisor(t, prefork.Config{Workers: 3})
	c := freshClient()
	seen := map[int]bool{}
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; i < 500 && len(seen) < 3 && time.Now().Before(deadline); i++ {
		info, err := ask(c, r.addr)
		if err != nil {
			time.Sleep(20 * time.Millisecond) // workers still starting
			continue
		}
		seen[info.ID] = true
	}
	if got, want := len(seen), 3; got != want {
		t.Fatalf("fresh connections reached workers %v: %d distinct, want %d", seen, got, want)
	}
}

func TestSupervisorRestartsKilledWorker(t *testing.T) {
	r := mustStartSupervisor(t, prefork.Config{Workers: 2, RestartBackoff: 50 * time.Millisecond})
	c := freshClient()
	addr := r.addr

	var victim workerInfo
	waitFor(t, 10*time.Second, "worker 1 to answer", func() bool {
		info, err := ask(c, addr)
		victim = info
		return err == nil && info.ID == 1
	})
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill worker 1: %v", err)
	}
	waitFor(t, time.Second, "the port to answer after the kill", func() bool {
		_, err := ask(c, addr)
		return err == nil
	})
	var reborn workerInfo
	waitFor(t, 10*time.Second, "worker 1 to come back", func() bool {
		info, err := ask(c, addr)
		reborn = info
		return err == nil && info.ID == 1 && info.PID != victim.PID
	})
	if got, want := reborn.Restarts, 1; got != want {
		t.Errorf("restarted worker says Restarts = %d, want %d", got, want)
	}
	slot := r.sup.Status().Slots[0]
	if got, want := slot.Restarts, 1; got != want {
		t.Errorf("status of slot 1: Restarts = %d, want %d", got, want)
	}
	if !strings.Contains(slot.LastExit, "killed") {
		t.Errorf("status of slot 1: LastExit = %q, want it to say killed", slot.LastExit)
	}
	if got, want := r.sup.Status().Slots[1].Restarts, 0; got != want {
		t.Errorf("status of slot 2: Restarts = %d, want %d", got, want)
	}
}

func TestSupervisorShutsDownGracefully(t *testing.T) {
	dir := t.TempDir()
	r := mustStartSupervisor(t, prefork.Config{
		Workers:         2,
		Env:             []string{envTestDir + "=" + dir},
		ShutdownTimeout: 5 * time.Second,
	})
	addr := r.addr
	c := freshClient()
	waitFor(t, 10*time.Second, "both workers to answer", func() bool {
		seen := map[int]bool{}
		for range 40 {
			if info, err := ask(c, addr); err == nil {
				seen[info.ID] = true
			}
		}
		return len(seen) == 2
	})

	resp, err := c.Get("http://" + addr + "/slow")
	if err != nil {
		t.Fatalf("start slow request: %v", err)
	}
	defer resp.Body.Close()
	r.cancel() // the slow request is in its handler now
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("slow request cut off by shutdown: %v", err)
	}
	if got, want := string(body), "done"; got != want {
		t.Errorf("slow request body = %q, want %q", got, want)
	}
	if err := r.wait(t, 10*time.Second); err != nil {
		t.Fatalf("Run = %v, want nil after cancel", err)
	}
	for _, sl := range r.sup.Status().Slots {
		if sl.Running {
			t.Errorf("worker %d still marked running after Run returned", sl.ID)
		}
		if _, err := os.Stat(filepath.Join(dir, "graceful-"+strconv.Itoa(sl.PID))); err != nil {
			t.Errorf("worker %d (pid %d) did not shut down gracefully: %v", sl.ID, sl.PID, err)
		}
	}
	if _, err := ask(c, addr); err == nil {
		t.Errorf("port still answers after shutdown")
	}
}

func TestSuperviseFailsFastOnBusyPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	err = prefork.Supervise(ctx, prefork.Config{Workers: 2, Addr: addr, Args: []string{"-test.run=^$"}, Logf: t.Logf})
	if err == nil {
		t.Fatalf("Supervise on busy %s = nil, want an error", addr)
	}
	if !strings.Contains(err.Error(), addr) {
		t.Errorf("error %q does not name the address %s", err, addr)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Supervise took %s to fail, want it fast", took)
	}
}

func TestSuperviseRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  prefork.Config
		want string
	}{
		{"no workers", prefork.Config{Workers: 0, Addr: "127.0.0.1:8080"}, "workers"},
		{"port zero", prefork.Config{Workers: 2, Addr: "127.0.0.1:0"}, "port 0"},
		{"no port", prefork.Config{Workers: 2, Addr: "127.0.0.1"}, "address"},
		{"negative backoff", prefork.Config{Workers: 1, Addr: "127.0.0.1:8080", RestartBackoff: -time.Second}, "negative"},
		{"own port zero", prefork.Config{Workers: 2, Addr: "127.0.0.1:8080", OwnAddr: "127.0.0.1:0"}, "give a port"},
		{"own ports past 65535", prefork.Config{Workers: 3, Addr: "127.0.0.1:8080", OwnAddr: "127.0.0.1:65534"}, "past 65535"},
		{"own ports take in the shared one", prefork.Config{Workers: 4, Addr: "127.0.0.1:8082", OwnAddr: "127.0.0.1:8080"}, "take in the shared"},
		{"own address without port", prefork.Config{Workers: 1, Addr: "127.0.0.1:8080", OwnAddr: "127.0.0.1"}, "own address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := prefork.Supervise(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Supervise = %v, want an error about %q", err, tt.want)
			}
		})
	}
}

// TestWorkersDieWithSupervisor SIGKILLs a supervisor running in a child
// process: its workers must die too, leaving the port dead.
func TestWorkersDieWithSupervisor(t *testing.T) {
	addr := mustFreeAddr(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envTestRole+"=supervisor", envTestAddr+"="+addr)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start supervisor: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	c := freshClient()
	pids := map[int]int{}
	waitFor(t, 10*time.Second, "both workers to answer", func() bool {
		if info, err := ask(c, addr); err == nil {
			pids[info.ID] = info.PID
		}
		return len(pids) == 2
	})
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill supervisor: %v", err)
	}
	_ = cmd.Wait()
	waitFor(t, 5*time.Second, "the workers to die", func() bool {
		for _, pid := range pids {
			if alive(pid) {
				return false
			}
		}
		return true
	})
	if _, err := ask(c, addr); err == nil {
		t.Errorf("port %s still answers after the supervisor was killed", addr)
	}
}

// alive reports whether pid runs; a zombie waiting for a reaper is dead.
func alive(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestListenSharesThePort(t *testing.T) {
	ctx := context.Background()
	a, err := prefork.Listen(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatalf("first Listen: %v", err)
	}
	defer a.Close()
	b, err := prefork.Listen(ctx, a.Addr().String())
	if err != nil {
		t.Fatalf("second Listen on %s: %v", a.Addr(), err)
	}
	defer b.Close()
	if got, want := b.Addr().String(), a.Addr().String(); got != want {
		t.Errorf("second listener on %s, want %s", got, want)
	}
}

// TestOwnListenersReachEachWorker asks each worker's own port many times on
// fresh connections: unlike the shared port, where the kernel picks, every
// answer must come from that port's worker.
func TestOwnListenersReachEachWorker(t *testing.T) {
	first := mustFreePorts(t, 3)
	r := mustStartSupervisor(t, prefork.Config{Workers: 3, OwnAddr: "127.0.0.1:" + strconv.Itoa(first)})
	c := freshClient()
	for slot := 1; slot <= 3; slot++ {
		own := "127.0.0.1:" + strconv.Itoa(first+slot-1)
		waitFor(t, 10*time.Second, "worker "+strconv.Itoa(slot)+" on its own port", func() bool {
			_, err := ask(c, own)
			return err == nil
		})
		for range 10 {
			info, err := ask(c, own)
			if err != nil {
				t.Fatalf("own port %s: %v", own, err)
			}
			if info.ID != slot || info.OwnAddr != own {
				t.Fatalf("own port %s answered by worker %d (own %q), want worker %d", own, info.ID, info.OwnAddr, slot)
			}
		}
	}
	// The shared port still spreads over all three.
	seen := map[int]bool{}
	for i := 0; i < 300 && len(seen) < 3; i++ {
		if info, err := ask(c, r.addr); err == nil {
			seen[info.ID] = true
		}
	}
	if len(seen) != 3 {
		t.Errorf("shared port reached workers %v, want all 3", seen)
	}
}

// TestOwnListenerOutlivesItsWorker kills a worker and asks its own port at
// once: the supervisor holds the socket, so the connection waits in its
// backlog for the restarted worker instead of being refused, and the answer
// is the new process of the same slot.
func TestOwnListenerOutlivesItsWorker(t *testing.T) {
	first := mustFreePorts(t, 2)
	r := mustStartSupervisor(t, prefork.Config{Workers: 2, OwnAddr: "127.0.0.1:" + strconv.Itoa(first),
		RestartBackoff: 200 * time.Millisecond})
	c := freshClient()
	own := "127.0.0.1:" + strconv.Itoa(first+1)
	var victim workerInfo
	waitFor(t, 10*time.Second, "worker 2 on its own port", func() bool {
		info, err := ask(c, own)
		victim = info
		return err == nil
	})
	if err := syscall.Kill(victim.PID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill worker 2: %v", err)
	}
	waitFor(t, 5*time.Second, "worker 2 to die", func() bool { return !alive(victim.PID) })
	reborn, err := ask(c, own)
	if err != nil {
		t.Fatalf("own port of a restarting worker: %v, want the connection to wait for the restart", err)
	}
	if reborn.ID != 2 || reborn.PID == victim.PID || reborn.Restarts != 1 {
		t.Errorf("after the kill, own port answered %+v; want worker 2, a new pid (was %d), restarts 1", reborn, victim.PID)
	}
	if got, want := r.sup.Status().Slots[0].Restarts, 0; got != want {
		t.Errorf("worker 1 restarts = %d, want %d", got, want)
	}
}

func TestSuperviseFailsFastOnBusyOwnPort(t *testing.T) {
	first := mustFreePorts(t, 2)
	busy, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(first+1))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = prefork.Supervise(ctx, prefork.Config{Workers: 2, Addr: mustFreeAddr(t),
		OwnAddr: "127.0.0.1:" + strconv.Itoa(first), Args: []string{"-test.run=^$"}, Logf: t.Logf})
	if err == nil {
		t.Fatal("Supervise with worker 2's own port busy = nil, want an error")
	}
	if want := busy.Addr().String(); !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "worker 2") {
		t.Errorf("error %q does not name worker 2 and %s", err, want)
	}
}
