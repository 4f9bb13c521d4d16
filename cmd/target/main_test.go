package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"loadharness/target"
)

func TestRunExitCodes(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		want       int
		wantStderr string
	}{
		{"no command", nil, exitUsage, "usage"},
		{"unknown command", []string{"deploy"}, exitUsage, `unknown command "deploy"`},
		{"version", []string{"version"}, exitOK, ""},
		{"unknown flag", []string{"serve", "--colour", "red"}, exitUsage, "colour"},
		{"redis store without address", []string{"serve", "--workers", "0"}, exitUsage, "session store redis needs a Redis address (--redis-addr)"},
		{"every serve problem at once", []string{"serve", "--workers", "-1", "--session-store", "disk", "--threads", "0", "--listen", "nowhere"},
			exitUsage, "--workers must be 0..64"},
		{"circuit off is not an option", []string{"serve", "--workers", "0", "--redis-addr", "x:1", "--circuit-failures", "0"},
			exitUsage, "--circuit-failures must be positive"},
		{"metrics port missing", []string{"serve", "--workers", "0", "--redis-addr", "x:1", "--metrics-listen", "127.0.0.1"}, exitUsage, "--metrics-listen"},
		{"metrics ports past 65535", []string{"serve", "--workers", "4", "--redis-addr", "x:1", "--metrics-listen", "127.0.0.1:65534"}, exitUsage, "past 65535"},
		{"metrics ports take in the shared one", []string{"serve", "--workers", "4", "--redis-addr", "x:1", "--listen", "127.0.0.1:9102", "--metrics-listen", "127.0.0.1:9100"},
			exitUsage, "take in --listen"},
		{"bad backend", []string{"lb", "--backends", "ftp://x"}, exitUsage, "scheme must be http or https"},
		{"stray argument", []string{"lb", "extra"}, exitUsage, "unexpected arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tc.args, &stdout, &stderr); got != tc.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", got, tc.want, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("stderr %q, want it to contain %q", stderr.String(), tc.wantStderr)
			}
		})
	}
}

func TestServeProblemsAreAllReported(t *testing.T) {
	var stderr bytes.Buffer
	_, _, err := parseServe([]string{"--workers", "-1", "--session-store", "disk", "--listen", "nowhere"}, &stderr)
	if err == nil {
		t.Fatal("parseServe: nil error, want a usage error")
	}
	for _, want := range []string{"--workers", `session store "disk"`, `--listen "nowhere"`} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr %q does not mention %q", stderr.String(), want)
		}
	}
}

func TestFlagsComeFromEnvironmentButFlagsWin(t *testing.T) {
	t.Setenv("TARGET_REDIS_ADDR", "10.0.0.1:6379")
	t.Setenv("TARGET_THREADS", "3")
	t.Setenv("TARGET_QUEUE_TIMEOUT", "250ms")
	t.Setenv("TARGET_INSTANCE", "from-env")
	t.Setenv("TARGET_CIRCUIT_COOLDOWN", "3s")
	var stderr bytes.Buffer
	cfg, sf, err := parseServe([]string{"--threads", "5", "--workers", "0"}, &stderr)
	if err != nil {
		t.Fatalf("parseServe: %v\n%s", err, stderr.String())
	}
	cases := []struct {
		name      string
		got, want any
	}{
		{"redis addr from env", cfg.RedisAddr, "10.0.0.1:6379"},
		{"threads: the flag wins", cfg.Threads, 5},
		{"queue timeout from env", cfg.QueueTimeout, 250 * time.Millisecond},
		{"instance from env", cfg.Instance, "from-env"},
		{"workers from the flag", sf.workers, 0},
		{"queue default", cfg.Queue, target.DefaultQueue},
		{"circuit cool-down from env", cfg.CircuitCoolDown, 3 * time.Second},
		{"circuit failures default", cfg.CircuitFailures, target.DefaultCircuitFailures},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %v, want %v", tc.got, tc.want)
			}
		})
	}
}

func TestEnvName(t *testing.T) {
	if got, want := envName("max-session-bytes"), "TARGET_MAX_SESSION_BYTES"; got != want {
		t.Errorf("envName = %q, want %q", got, want)
	}
}
