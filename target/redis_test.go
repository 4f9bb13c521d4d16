package target

import (
	"bytes"
	"context"
	"net"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testRedis is a real redis-server process started for one test.
type testRedis struct {
	Addr string
	cmd  *exec.Cmd
	once sync.Once
}

// mustStartRedis starts redis-server from PATH on a free loopback port, with
// no persistence, and waits until it answers PING. It skips the test only
// when redis-server is not installed; Cleanup kills it by pid.
func mustStartRedis(tb testing.TB) *testRedis {
	tb.Helper()
	path, err := exec.LookPath("redis-server")
	if err != nil {
		tb.Skip("redis-server not on PATH (apt-get install -y redis-server): skipping the real-Redis test")
	}
	port := freePort(tb)
	var out bytes.Buffer
	cmd := exec.Command(path,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start redis-server: %v", err)
	}
	r := &testRedis{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), cmd: cmd}
	tb.Cleanup(r.Kill)

	rdb := redis.NewClient(&redis.Options{Addr: r.Addr, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return r
		}
		if time.Now().After(deadline) {
			r.Kill()
			tb.Fatalf("redis-server on %s never answered PING: %v\n%s", r.Addr, err, out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill ends the redis-server by pid and reaps it; safe to call twice.
func (r *testRedis) Kill() {
	r.once.Do(func() {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	})
}

// freePort asks the kernel for a free loopback port. Another process may
// take it before it is used; on this test machine that race is rare enough.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
