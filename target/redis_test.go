package target

import (
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
	path string
	port int

	mu  sync.Mutex
	cmd *exec.Cmd
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
	r := &testRedis{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), path: path, port: port}
	tb.Cleanup(r.Kill)
	r.start(tb)
	return r
}

// Restart starts redis-server again on the same port after Kill, empty:
// without persistence every key is gone, as after a real crash.
func (r *testRedis) Restart(tb testing.TB) {
	tb.Helper()
	r.Kill()
	r.start(tb)
}

// start runs redis-server on r's port and waits for PONG.
func (r *testRedis) start(tb testing.TB) {
	tb.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(r.path,
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--protected-mode", "no")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = childProcAttr()
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start redis-server: %v", err)
	}
	r.mu.Lock()
	r.cmd = cmd
	r.mu.Unlock()

	rdb := redis.NewClient(&redis.Options{Addr: r.Addr, DialTimeout: 200 * time.Millisecond})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.Kill()
			tb.Fatalf("redis-server on %s never answered PING: %v\n%s", r.Addr, err, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Kill ends the redis-server by pid and reaps it; safe to call twice.
func (r *testRedis) Kill() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
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

// TestRedisClientBoundsEveryCall pins the client options that keep a slow or
// dead Redis from holding a request past --redis-timeout, and the pool to
// what one worker's threads can use at once (plus /readyz's PING).
func TestRedisClientBoundsEveryCall(t *testing.T) {
	const timeout, threads = 300 * time.Millisecond, 6
	rdb := newRedisClient("127.0.0.1:1", timeout, threads)
	defer rdb.Close()
	opt := rdb.Options()
	cases := []struct {
		name      string
		got, want any
	}{
		{"dial timeout", opt.DialTimeout, timeout},
		{"read timeout", opt.ReadTimeout, timeout},
		{"write timeout", opt.WriteTimeout, timeout},
		{"pool timeout", opt.PoolTimeout, timeout},
		{"context deadlines honoured", opt.ContextTimeoutEnabled, true},
		{"pool size", opt.PoolSize, threads + 2},
		{"retries", opt.MaxRetries, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}
