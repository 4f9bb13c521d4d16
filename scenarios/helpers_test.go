package scenarios

import (
	"context"
	"slices"
	"testing"
	"time"

	"loadharness"
	"loadharness/scenarios/suite"
)

// collected is a sink that keeps copies of every result, for tests.
type collected struct {
	results []loadharness.Result
}

// Add keeps a copy of r.
func (c *collected) Add(r *loadharness.Result) { c.results = append(c.results, *r) }

// Close does nothing.
func (c *collected) Close() error { return nil }

// step returns the results of the named step.
func (c *collected) step(name string) []loadharness.Result {
	var out []loadharness.Result
	for _, r := range c.results {
		if r.Step == name {
			out = append(out, r)
		}
	}
	return out
}

// mustRun runs sc against baseURL and fails the test on a harness error.
func mustRun(tb testing.TB, sc *suite.Scenario, opts RunOptions) (Outcome, *collected) {
	tb.Helper()
	sink := &collected{}
	opts.Sink = sink
	ctx, cancel := context.WithTimeout(context.Background(), sc.Warmup+sc.Duration+30*time.Second)
	defer cancel()
	out, err := Run(ctx, sc, opts)
	if err != nil {
		tb.Fatalf("Run: %v", err)
	}
	return out, sink
}

// quantile returns the q-quantile of ds (nearest rank).
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

// latencies returns the raw and corrected latencies of rs.
func latencies(rs []loadharness.Result) (raw, corrected []time.Duration) {
	for i := range rs {
		raw = append(raw, rs[i].Latency)
		corrected = append(corrected, rs[i].CorrectedLatency())
	}
	return raw, corrected
}

// within reports whether got is within tol (a fraction) of want.
func within(got, want, tol float64) bool {
	return got >= want*(1-tol) && got <= want*(1+tol)
}

// dropped returns the records of hits never sent.
func (c *collected) dropped() []loadharness.Result {
	var out []loadharness.Result
	for _, r := range c.results {
		if r.Dropped > 0 {
			out = append(out, r)
		}
	}
	return out
}
