package main

import (
	"context"
	"fmt"
	"time"

	"loadharness"
	"loadharness/reports/aggregate"
	"loadharness/scenarios"
	"loadharness/scenarios/suite"
)

// lagRates are the open-model rates the lag section holds.
var lagRates = []int{1000, 10_000}

// lagDuration is how long each rate is held: thousands of hits at the
// lower rate, enough for a p99.
const lagDuration = 3 * time.Second

// lagUsers is the open model's pool: far more than the trivial handler
// keeps busy at either rate, so a hit never waits for a user and every
// microsecond of lag is the generator's own.
const lagUsers = 200

// benchLag holds the open model at each of lagRates on the trivial handler
// and reports the generator's own lag (due → sent, p50 and p99, exact from
// every result's Intended and Sent, and beside them the bounds of the
// engine's power-of-two buckets, which judge a run's validity), the rate
// achieved, and the corrected-minus-raw gap at p50: on a fast, idle handler
// the two differ only by the generator's lag, which must not be charged to
// the target. Beside them, the generator's CPU per request: what the
// punctuality costs (the last microseconds before a hit is due are spent
// polling the clock).
func benchLag(ctx context.Context, sum *summary) error {
	srv, base, err := startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Printf("server %s: Echo in its own process, GET %s; scenarios.Run open model, %d users, %s per rate\n",
		base, pathHello, lagUsers, lagDuration)
	fmt.Printf("  %-8s %10s %10s %10s %14s %14s %14s %12s\n", "rate", "achieved", "lag p50", "lag p99", "engine p50 ≤", "engine p99 ≤", "p50 corr−raw", "gen us/req")
	for _, rate := range lagRates {
		sc := &suite.Scenario{
			Name:     "lag",
			Users:    lagUsers,
			Duration: lagDuration,
			Load:     suite.LoadModel{Kind: suite.Constant, Rate: suite.Rate(rate)},
			Steps:    []suite.Step{{Name: "hello", Method: "GET", Path: pathHello, Weight: 1, Expect: suite.Expect{Status: []int{200}}}},
			Pick:     suite.PickSequence,
		}
		sink := &lagSink{agg: aggregate.New(time.Now()), lags: make([]time.Duration, 0, rate*int(lagDuration/time.Second)+rate)}
		agg := sink.agg
		cpu := processCPU()
		out, err := scenarios.Run(ctx, sc, scenarios.RunOptions{BaseURL: base, Sink: sink})
		cpu = processCPU() - cpu
		if err != nil {
			return fmt.Errorf("%d/s: %w", rate, err)
		}
		st := agg.Snapshot(loadharness.Scope{Scenario: sc.Name, Step: "hello"})
		if st.Requests == 0 || st.Failed > 0 {
			return fmt.Errorf("%d/s: %d requests, %d failed", rate, st.Requests, st.Failed)
		}
		achieved := float64(st.Requests) / lagDuration.Seconds()
		gap := time.Duration((st.Latency.P50 - st.RawLatency.P50) * float64(time.Millisecond))
		p50, p99 := lagQuantiles(sink.lags)
		fmt.Printf("  %-8s %9.0f/s %10s %10s %14s %14s %14s %12.1f\n", fmt.Sprintf("%d/s", rate), achieved,
			p50.Round(time.Microsecond), p99.Round(time.Microsecond),
			out.GeneratorLagP50, out.GeneratorLagP99, gap.Round(time.Microsecond),
			float64(cpu.Microseconds())/float64(st.Requests))
		if rate == lagRates[0] {
			sum.lagP99, sum.lagMeasured = p99, true
		}
	}
	fmt.Println("  aims (issue #19): at 1000/s lag p50 < 50µs, p99 < 500µs, and the p50 gap < 50µs")
	return nil
}
