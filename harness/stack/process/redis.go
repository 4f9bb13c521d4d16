package process

import (
	"context"
	"fmt"
	"loadharness/harness/stack"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
)

// redisServer is the Redis a process stack shares between its instances.
type redisServer interface {
	Addr() string
	// Kind names the server for reports: "redis-server 7.0.15" or
	// "embedded (miniredis)".
	Kind() string
	// Restart stops the server and starts it again on the same address.
	Restart(ctx context.Context) error
	Close() error
}

// embeddedRedisWarning is printed and written into every summary of a run
// on the embedded server: its figures do not stand for a real Redis.
const embeddedRedisWarning = "redis-server was not found on PATH: the stack uses an embedded Redis (miniredis) inside the harness; latency and capacity figures do not stand for a real Redis. Install redis-server for figures that count."

// startRedis starts redis-server from PATH on a free loopback port, or an
// embedded one when the binary is missing (embedded reports true).
func startRedis(ctx context.Context, dir, persistence string, track stack.Tracker) (srv redisServer, embedded bool, err error) {
	bin, lookErr := exec.LookPath("redis-server")
	if lookErr != nil {
		m := miniredis.NewMiniRedis()
		if err := m.StartAddr("127.0.0.1:0"); err != nil {
			return nil, true, fmt.Errorf("start embedded redis: %w", err)
		}
		return &embeddedRedis{m: m}, true, nil
	}
	port, err := stack.FreeLoopbackPort()
	if err != nil {
		return nil, false, err
	}
	r := &processRedis{bin: bin, port: port, dir: dir, persistence: persistence, track: track}
	if err := r.start(ctx); err != nil {
		return nil, false, err
	}
	return r, false, nil
}

type processRedis struct {
	bin, dir, persistence string
	port                  int
	proc                  *process
	version               string
	track                 stack.Tracker
}

func (r *processRedis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

func (r *processRedis) Kind() string { return strings.TrimSpace("redis-server " + r.version) }

func (r *processRedis) start(ctx context.Context) error {
	args := []string{
		"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--protected-mode", "no", "--dir", r.dir, "--save", "",
	}
	if r.persistence == "aof" {
		args = append(args, "--appendonly", "yes", "--appendfsync", "everysec")
	} else {
		args = append(args, "--appendonly", "no")
	}
	proc, err := startProcess("redis", r.bin, args, filepath.Join(r.dir, "redis.log"), r.track)
	if err != nil {
		return err
	}
	r.proc = proc
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := waitRedis(waitCtx, r.Addr(), proc); err != nil {
		proc.kill()
		return fmt.Errorf("start redis: %w (log: %s)", err, filepath.Join(r.dir, "redis.log"))
	}
	if r.version == "" {
		r.version = stack.RedisVersion(r.Addr())
	}
	return nil
}

func (r *processRedis) Restart(ctx context.Context) error {
	if err := r.proc.stopWithin(5 * time.Second); err != nil {
		return fmt.Errorf("restart redis: %w", err)
	}
	return r.start(ctx)
}

func (r *processRedis) Close() error { return r.proc.stopWithin(5 * time.Second) }

// waitRedis sends PING until the server answers PONG.
func waitRedis(ctx context.Context, addr string, proc *process) error {
	for {
		if done, err := proc.exited(); done {
			return fmt.Errorf("redis-server exited: %v", err)
		}
		if err := stack.PingRedis(addr); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redis at %s did not answer PING: %w", addr, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

type embeddedRedis struct{ m *miniredis.Miniredis }

func (r *embeddedRedis) Addr() string { return r.m.Addr() }

func (r *embeddedRedis) Kind() string { return "embedded (miniredis)" }

func (r *embeddedRedis) Restart(ctx context.Context) error {
	addr := r.m.Addr()
	r.m.Close()
	if err := r.m.StartAddr(addr); err != nil {
		return fmt.Errorf("restart embedded redis: %w", err)
	}
	return nil
}

func (r *embeddedRedis) Close() error { r.m.Close(); return nil }
