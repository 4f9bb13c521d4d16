package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strconv"
	"time"

	"loadharness/target"
	"loadharness/target/prefork"
)

// serveFlags are the flags of target serve beyond target.Config.
type serveFlags struct {
	listen  string
	workers int
	// metricsListen is where each worker serves its own metrics, alone:
	// worker N on its port + N - 1; "" serves none.
	metricsListen string
}

// serve runs one instance: a supervisor of --workers worker processes, one
// of those workers (when the supervisor started this process), or with
// --workers 0 a single in-process server.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, sf, err := parseServe(args, stderr)
	if err != nil {
		return err
	}
	if w, ok := prefork.Current(); ok {
		cfg.Worker, cfg.WorkerRestarts = w.ID, w.Restarts
		cfg.Logf = newLogf(stderr, cfg.Instance, w.ID)
		ln, err := prefork.Listen(ctx, sf.listen)
		if err != nil {
			return err
		}
		var own net.Listener
		if w.OwnAddr != "" {
			if own, err = w.OwnListener(); err != nil {
				ln.Close()
				return err
			}
		}
		return serveOn(ctx, cfg, ln, own)
	}
	cfg.Logf = newLogf(stderr, cfg.Instance, 0)
	if sf.workers == 0 {
		var lc net.ListenConfig
		ln, err := lc.Listen(ctx, "tcp", sf.listen)
		if err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		var own net.Listener
		if sf.metricsListen != "" {
			if own, err = lc.Listen(ctx, "tcp", sf.metricsListen); err != nil {
				ln.Close()
				return fmt.Errorf("metrics listen: %w", err)
			}
		}
		return serveOn(ctx, cfg, ln, own)
	}
	err = prefork.Supervise(ctx, prefork.Config{
		Workers: sf.workers,
		Addr:    sf.listen,
		OwnAddr: sf.metricsListen,
		Stderr:  stderr,
		// Workers get their own graceful shutdown plus a little, before the
		// supervisor resorts to SIGKILL.
		ShutdownTimeout: cfg.ShutdownTimeout + 2*time.Second,
		Logf:            cfg.Logf,
	})
	if err != nil {
		return fmt.Errorf("supervise: %w", err)
	}
	return nil
}

// serveOn runs a target.Server on ln until ctx ends, and its metrics
// alone on metrics when that is not nil. When either stops serving, the
// other shuts down too, so a worker whose metrics listener broke exits
// and is restarted rather than serving unseen.
func serveOn(ctx context.Context, cfg target.Config, ln, metrics net.Listener) error {
	srv, err := target.NewServer(ctx, cfg)
	if err != nil {
		_ = ln.Close()
		if metrics != nil {
			_ = metrics.Close()
		}
		return err
	}
	cfg.Logf("serving on %s (sessions %s, data sets %s, %d threads)",
		ln.Addr(), cfg.SessionStore, cfg.DatasetStore, cfg.Threads)
	if metrics == nil {
		return errors.Join(srv.Serve(ctx, ln), srv.Close())
	}
	cfg.Logf("metrics alone on %s", metrics.Addr())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	metricsErr := make(chan error, 1)
	go func() {
		err := srv.ServeMetrics(ctx, metrics)
		cancel()
		metricsErr <- err
	}()
	err = srv.Serve(ctx, ln)
	cancel()
	return errors.Join(err, <-metricsErr, srv.Close())
}

// parseServe reads serve's flags and environment and checks them all.
func parseServe(args []string, stderr io.Writer) (target.Config, serveFlags, error) {
	cfg := target.DefaultConfig()
	if host, err := os.Hostname(); err == nil {
		cfg.Instance = host
	}
	sf := serveFlags{listen: "127.0.0.1:8080", workers: 1}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&sf.listen, "listen", sf.listen, "host:port to serve on")
	fs.IntVar(&sf.workers, "workers", sf.workers, "worker processes sharing the port; 0 serves in this process")
	fs.StringVar(&sf.metricsListen, "metrics-listen", "", "host:port where each worker also serves /metrics alone, for a Prometheus to scrape every worker: worker N on port+N-1 (with --workers 0, the port itself); scrapes there are not counted as requests")
	fs.StringVar(&cfg.Instance, "instance", cfg.Instance, "instance name sent as X-Instance")
	fs.StringVar(&cfg.RedisAddr, "redis-addr", "", "Redis host:port (needed by the redis stores)")
	fs.StringVar(&cfg.SessionStore, "session-store", cfg.SessionStore, "where sessions live: redis or memory")
	fs.StringVar(&cfg.DatasetStore, "dataset-store", cfg.DatasetStore, "where data sets live: redis, session or file")
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory of the file data-set store (default: per instance under the temp dir)")
	fs.IntVar(&cfg.Threads, "threads", cfg.Threads, "requests one worker serves at once")
	fs.IntVar(&cfg.Queue, "queue", cfg.Queue, "requests that may wait for a thread (0: none)")
	fs.DurationVar(&cfg.QueueTimeout, "queue-timeout", cfg.QueueTimeout, "longest wait for a thread")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", cfg.RequestTimeout, "bound on each request, queueing included")
	fs.DurationVar(&cfg.RedisTimeout, "redis-timeout", cfg.RedisTimeout, "bound on each Redis command")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", cfg.ShutdownTimeout, "bound on the graceful shutdown")
	fs.IntVar(&cfg.CircuitFailures, "circuit-failures", cfg.CircuitFailures, "consecutive failed Redis calls that open a store's circuit")
	fs.DurationVar(&cfg.CircuitCoolDown, "circuit-cooldown", cfg.CircuitCoolDown, "how long an open circuit answers 503 before it probes Redis again")
	fs.IntVar(&cfg.MapCost, "map-cost", cfg.MapCost, "times /map repeats its classification work")
	fs.IntVar(&cfg.MaxSessionBytes, "max-session-bytes", cfg.MaxSessionBytes, "largest session the session data-set store accepts")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", cfg.IdleTimeout, "session idle timeout")
	fs.DurationVar(&cfg.Lifetime, "lifetime", cfg.Lifetime, "session absolute lifetime (and data-set TTL in Redis)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return cfg, sf, err
	}
	var problems []error
	if sf.workers < 0 || sf.workers > 64 {
		problems = append(problems, fmt.Errorf("--workers must be 0..64, not %d", sf.workers))
	}
	if _, _, err := net.SplitHostPort(sf.listen); err != nil {
		problems = append(problems, fmt.Errorf("--listen %q: %w", sf.listen, err))
	}
	if sf.metricsListen != "" {
		if err := checkMetricsListen(sf); err != nil {
			problems = append(problems, err)
		}
	}
	if err := cfg.Validate(); err != nil {
		problems = append(problems, err)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"queue-timeout", cfg.QueueTimeout}, {"request-timeout", cfg.RequestTimeout},
		{"redis-timeout", cfg.RedisTimeout}, {"shutdown-timeout", cfg.ShutdownTimeout},
		{"circuit-cooldown", cfg.CircuitCoolDown},
		{"idle-timeout", cfg.IdleTimeout}, {"lifetime", cfg.Lifetime},
	} {
		if d.v == 0 {
			problems = append(problems, fmt.Errorf("--%s must be positive", d.name))
		}
	}
	if cfg.Threads == 0 || cfg.MapCost == 0 || cfg.MaxSessionBytes == 0 || cfg.CircuitFailures == 0 {
		problems = append(problems, errors.New("--threads, --map-cost, --max-session-bytes and --circuit-failures must be positive"))
	}
	if err := errors.Join(problems...); err != nil {
		return cfg, sf, usageError(stderr, "serve", err)
	}
	return cfg, sf, nil
}

// checkMetricsListen checks --metrics-listen against --listen and
// --workers: a port, room for every worker's port, none of them the
// shared one.
func checkMetricsListen(sf serveFlags) error {
	host, port, err := net.SplitHostPort(sf.metricsListen)
	if err != nil {
		return fmt.Errorf("--metrics-listen %q: %w", sf.metricsListen, err)
	}
	first, err := strconv.Atoi(port)
	if err != nil || first < 1 || first > 65535 {
		return fmt.Errorf("--metrics-listen %q: want a port 1..65535 (worker N serves on port+N-1)", sf.metricsListen)
	}
	last := first + max(sf.workers, 1) - 1
	if last > 65535 {
		return fmt.Errorf("--metrics-listen %q: %d workers need ports %d..%d, past 65535", sf.metricsListen, sf.workers, first, last)
	}
	lhost, lport, err := net.SplitHostPort(sf.listen)
	if p, perr := strconv.Atoi(lport); err == nil && perr == nil && lhost == host && p >= first && p <= last {
		return fmt.Errorf("--metrics-listen %q: ports %d..%d take in --listen %s", sf.metricsListen, first, last, sf.listen)
	}
	return nil
}

// newLogf returns a Logf that prefixes lines with the instance and worker.
func newLogf(w io.Writer, instance string, worker int) func(string, ...any) {
	l := log.New(w, fmt.Sprintf("%s/w%d ", instance, worker), log.LstdFlags|log.Lmicroseconds)
	return l.Printf
}
