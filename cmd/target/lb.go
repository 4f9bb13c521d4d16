package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"loadharness/target/balancer"
)

// loadBalance runs the balancer role: round robin over --backends with
// active health checks, until ctx ends.
func loadBalance(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("lb", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:8000", "host:port to serve on")
	backends := fs.String("backends", "", "comma-separated backend URLs (more can be added with POST /lb/backends)")
	interval := fs.Duration("health-interval", balancer.DefaultHealthInterval, "time between health checks of a backend")
	timeout := fs.Duration("health-timeout", balancer.DefaultHealthTimeout, "bound on one health check")
	threshold := fs.Int("unhealthy-threshold", balancer.DefaultUnhealthyThreshold, "consecutive failed checks that take a backend out")
	failOpen := fs.Bool("fail-open", true, "when every backend fails its checks, send to all of them anyway (as cloud balancers do) instead of answering 503")
	shutdown := fs.Duration("shutdown-timeout", 10*time.Second, "bound on the graceful shutdown")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	var (
		urls     []*url.URL
		problems []error
	)
	for _, raw := range strings.Split(*backends, ",") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		u, err := balancer.ParseBackendURL(raw)
		if err != nil {
			problems = append(problems, fmt.Errorf("--backends: %w", err))
			continue
		}
		urls = append(urls, u)
	}
	if _, _, err := net.SplitHostPort(*listen); err != nil {
		problems = append(problems, fmt.Errorf("--listen %q: %w", *listen, err))
	}
	if *threshold < 1 {
		problems = append(problems, fmt.Errorf("--unhealthy-threshold must be 1 or more, not %d", *threshold))
	}
	if *interval <= 0 || *timeout <= 0 || *shutdown <= 0 {
		problems = append(problems, errors.New("--health-interval, --health-timeout and --shutdown-timeout must be positive"))
	}
	if err := errors.Join(problems...); err != nil {
		return usageError(stderr, "lb", err)
	}

	logf := newLogf(stderr, "lb", 0)
	b, err := balancer.New(urls,
		balancer.WithHealthInterval(*interval),
		balancer.WithHealthTimeout(*timeout),
		balancer.WithUnhealthyThreshold(*threshold),
		balancer.WithFailOpen(*failOpen),
		balancer.WithLogf(logf),
	)
	if err != nil {
		return usageError(stderr, "lb", err)
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           b,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       90 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	runErr := make(chan error, 1)
	go func() { runErr <- b.Run(runCtx) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logf("balancing %d backends on %s", len(urls), ln.Addr())

	select {
	case err = <-serveErr:
		err = fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), *shutdown)
		defer cancel()
		if serr := srv.Shutdown(sctx); serr != nil {
			err = errors.Join(fmt.Errorf("shutdown: %w", serr), srv.Close())
		}
	}
	stopRun()
	if rerr := <-runErr; rerr != nil && !errors.Is(rerr, context.Canceled) {
		err = errors.Join(err, fmt.Errorf("balancer: %w", rerr))
	}
	return err
}
