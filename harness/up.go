package harness

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"time"

	"loadharness/harness/stack"
	"loadharness/reports"
	"loadharness/scenarios/suite"
)

// Up brings the suite's stack up with p: with a fault proxy on the Redis
// link when the suite has fault actions, and only when every address the
// load would go to is allowed (see CheckTarget; explicitTarget says the
// user named the target). The caller closes the stack. An interrupted
// start has torn down what it began and wraps ErrInterrupted.
func Up(ctx context.Context, p stack.Provider, s *suite.Suite, explicitTarget bool, logf func(string, ...any)) (stack.Stack, error) {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	p, err := withFaults(p, s)
	if err != nil {
		return nil, err
	}
	started := time.Now()
	st, err := p.Start(ctx, s.Stack)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w while the stack started: %v", ErrInterrupted, context.Cause(ctx))
		}
		return nil, fmt.Errorf("start stack: %w", err)
	}
	if err := checkStackTargets(st, explicitTarget, logf); err != nil {
		closeStack(st, logf)
		return nil, err
	}
	if err := checkReachable(ctx, st.URL()); err != nil {
		closeStack(st, logf)
		return nil, err
	}
	logf("stack ready in %s at %s (redis: %s)", time.Since(started).Round(time.Millisecond), st.URL(), st.Info().RedisKind)
	return st, nil
}

// RunOn brings the suite's stack up with p, runs the suite on it and tears
// it down: Up, Run and Close in one call, for a run that needs its stack
// for nothing else.
func RunOn(ctx context.Context, p stack.Provider, s *suite.Suite, explicitTarget bool, opts ...Option) (Result, error) {
	cfg := newConfig(opts)
	st, err := Up(ctx, p, s, explicitTarget, cfg.logf)
	if err != nil {
		return Result{Summary: reports.Summary{Suite: s.Name, Stack: s.Stack, Started: time.Now()}}, err
	}
	defer closeStack(st, cfg.logf)
	return Run(ctx, s, st, opts...)
}

// closeStack tears st down within 30 seconds, whatever ctx the run had.
func closeStack(st stack.Stack, logf func(string, ...any)) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.Close(ctx); err != nil {
		logf("tear down: %v", err)
	}
}

// reachTimeout bounds the check that the load's address answers at all.
const reachTimeout = 5 * time.Second

// checkReachable connects to the address the load goes to once, before any
// load: a target that refuses every connection is a harness error (exit 2,
// nothing measured, the previous run left as it was), not a run of
// failures.
func checkReachable(ctx context.Context, rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("target %s: %w", rawURL, err)
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	ctx, cancel := context.WithTimeout(ctx, reachTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("target %s is unreachable: %w", rawURL, err)
	}
	return conn.Close()
}
