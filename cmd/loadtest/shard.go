package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"loadharness"
	"loadharness/harness/stack"
	"loadharness/reports"
	"loadharness/scenarios/suite"
)

// maxStartWait bounds --start-at: a shard never waits longer than this for
// its peers, so a wrong clock or a typo fails fast instead of hanging a pod.
const maxStartWait = time.Hour

// shardSuite returns the --shard slice of suite, or suite itself when the
// flag is empty.
func shardSuite(s *suite.Suite, flagValue string) (*suite.Suite, error) {
	if flagValue == "" {
		return s, nil
	}
	spec, err := suite.ParseShard(flagValue)
	if err != nil {
		return nil, fmt.Errorf("--shard: %w", err)
	}
	return suite.Shard(s, spec.Index, spec.Count)
}

// parseStartAt reads --start-at (RFC 3339); the zero time when empty. A time
// further ahead than maxStartWait is refused.
func parseStartAt(flagValue string, now time.Time) (time.Time, error) {
	if strings.TrimSpace(flagValue) == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(flagValue))
	if err != nil {
		return time.Time{}, fmt.Errorf("--start-at: want an RFC 3339 time such as 2026-01-02T03:04:05Z: %w", err)
	}
	if wait := t.Sub(now); wait > maxStartWait {
		return time.Time{}, fmt.Errorf("--start-at %s is %s away, more than the %s a shard waits", flagValue, wait.Round(time.Second), maxStartWait)
	}
	return t, nil
}

// startAtProvider brings the stack up, then waits until at before the load
// begins, so that shards whose stacks took different times to come up still
// start their load together.
type startAtProvider struct {
	stack.Provider
	at   time.Time
	logf func(format string, args ...any)
}

// Start starts the inner provider's stack and waits until at; a start time
// already past is logged and the load starts at once.
func (p startAtProvider) Start(ctx context.Context, shape loadharness.StackShape) (stack.Stack, error) {
	st, err := p.Provider.Start(ctx, shape)
	if err != nil {
		return nil, err
	}
	wait := time.Until(p.at)
	if wait <= 0 {
		p.logf("--start-at %s passed %s ago: starting now", p.at.Format(time.RFC3339), (-wait).Round(time.Millisecond))
		return st, nil
	}
	p.logf("waiting %s for --start-at %s", wait.Round(time.Millisecond), p.at.Format(time.RFC3339))
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-timer.C:
		return st, nil
	case <-ctx.Done():
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		_ = st.Close(closeCtx) // the wait's error is the one to report
		return nil, fmt.Errorf("wait for --start-at: %w", context.Cause(ctx))
	}
}

// shardExitCode is the exit code of a shard's run: a shard's verdict is
// provisional (its gates saw a slice of the load), so a failed or invalid
// verdict exits 0 and the merged report decides; without --shard the
// verdict's own code.
func shardExitCode(sharded bool, s reports.Summary) int {
	if sharded {
		return loadharness.ExitPass
	}
	return loadharness.Judge(s.Evidence()).ExitCode
}
