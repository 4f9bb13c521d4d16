package main

import (
	"context"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"time"

	"loadharness"
	"loadharness/reports/aggregate"
	"loadharness/scenarios"
	"loadharness/scenarios/suite"
)

// Shapes of the accuracy runs.
const (
	fixedLatency   = 20 * time.Millisecond
	mixFast        = 5 * time.Millisecond
	mixSlow        = 200 * time.Millisecond
	accuracyUsers  = 10
	accuracyLength = 5 * time.Second
	stallRate      = 200
	stallUsers     = 5
	stallLengthRun = 8 * time.Second
)

// benchAccuracy compares the harness's percentiles with the truth: the
// server's own exact handler times for a fixed latency and a 90/10
// mixture, and for an open model that meets a one-second stall, the
// latencies a generator that never waits would have seen.
func benchAccuracy(ctx context.Context, sum *summary) error {
	srv, base, err := startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	printCommand([]string{"go", "run", "./bench", "-sections", "accuracy"})
	fmt.Println("  truth: the server's own clock around each handler, exact nearest-rank percentiles; the harness adds the loopback round trip")
	fmt.Println("  exact: nearest-rank percentiles of every latency the harness measured; harness: what its aggregate (HDR histograms) reports")
	fmt.Println("  aim: within 1% or 1 ms of the truth")

	fixedPath := fmt.Sprintf("%s?ms=%g", pathFixed, ms(fixedLatency))
	fmt.Printf("\n  fixed %s: closed model, %d users, %s after 1s warm-up, GET %s\n", fixedLatency, accuracyUsers, accuracyLength, fixedPath)
	if _, err := accuracyRun(ctx, base, "fixed", fixedPath); err != nil {
		return err
	}
	mixPath := fmt.Sprintf("%s?fast=%g&slow=%g", pathMix, ms(mixFast), ms(mixSlow))
	fmt.Printf("\n  mixture 90%% %s / 10%% %s (every 10th request): closed model, %d users, %s after 1s warm-up, GET %s\n",
		mixFast, mixSlow, accuracyUsers, accuracyLength, mixPath)
	p99Err, err := accuracyRun(ctx, base, "mixture", mixPath)
	if err != nil {
		return err
	}
	sum.p99Error, sum.p99Measured = p99Err, true
	return stallRun(ctx, base)
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// accuracyRun runs one closed-model run on path and prints the harness's
// percentiles against the server's; it returns the p99's relative error.
func accuracyRun(ctx context.Context, base, name, path string) (float64, error) {
	if err := resetServer(ctx, base); err != nil {
		return 0, err
	}
	sc := &suite.Scenario{Name: name, Users: accuracyUsers, Duration: accuracyLength, Warmup: time.Second,
		Steps: []suite.Step{{Name: name, Method: "GET", Path: path, Expect: suite.Expect{Status: []int{200}}}}}
	agg := aggregate.New(time.Now())
	// Every latency the harness measured, for its exact percentiles: they
	// split the error into the aggregate's (histogram) and the rest.
	var seen []time.Duration
	collect := loadharness.SinkFunc(func(r *loadharness.Result) {
		if len(seen) < maxTimings {
			seen = append(seen, r.CorrectedLatency())
		}
	})
	if _, err := scenarios.Run(ctx, sc, scenarios.RunOptions{BaseURL: base, Sink: loadharness.Sinks{agg, collect}}); err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	slices.Sort(seen)
	truth, err := fetchTruth(ctx, base)
	if err != nil {
		return 0, err
	}
	st := agg.Snapshot(loadharness.Scope{Scenario: name})
	if st.Requests == 0 || st.Failed > 0 {
		return 0, fmt.Errorf("%s: %d requests, %d failed", name, st.Requests, st.Failed)
	}
	fmt.Printf("  %d requests measured (server saw %d with the warm-up)\n", st.Requests, truth.count)
	fmt.Printf("  %-5s %11s %11s %11s %10s %8s  %-10s %s\n", "", "truth", "exact", "harness", "error", "rel", "within aim", "aggregate's own error")
	rows := []struct {
		name              string
		q                 float64
		truth, exact, got time.Duration
	}{
		{"p50", 50, truth.p50, nearestRank(seen, 50), fromMS(st.Latency.P50)},
		{"p95", 95, truth.p95, nearestRank(seen, 95), fromMS(st.Latency.P95)},
		{"p99", 99, truth.p99, nearestRank(seen, 99), fromMS(st.Latency.P99)},
	}
	for _, r := range rows {
		fmt.Printf("  %-5s %11s %11s %11s %10s %7.2f%%  %-10v %.3f%%\n", r.name, fmtDur(r.truth), fmtDur(r.exact), fmtDur(r.got),
			fmtDur(r.got-r.truth), 100*relErr(r.got, r.truth), withinAim(r.got, r.truth), 100*relErr(r.got, r.exact))
	}
	if err := wrkReference(ctx, base, path); err != nil {
		return 0, err
	}
	return relErr(rows[2].got, rows[2].truth), nil
}

// wrkReference measures path with wrk, when installed, as another client's
// view of the same handler on the same machine: what the harness adds to
// the server's truth, beyond what any client sees, is the difference.
func wrkReference(ctx context.Context, base, path string) error {
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		return nil
	}
	if err := resetServer(ctx, base); err != nil {
		return err
	}
	args := []string{"-t1", "-c" + strconv.Itoa(accuracyUsers), "-d" + strconv.Itoa(int(accuracyLength/time.Second)) + "s", "--latency", base + path}
	fmt.Print("  another client: ")
	printCommand(append([]string{"wrk"}, args...))
	out, err := exec.CommandContext(ctx, wrk, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("wrk: %w: %s", err, out)
	}
	w, err := parseWrk(out)
	if err != nil {
		return err
	}
	truth, err := fetchTruth(ctx, base)
	if err != nil {
		return err
	}
	fmt.Printf("  %-5s %11s %11s %11s %10s %7.2f%%\n", "p50", fmtDur(truth.p50), "", "wrk "+fmtDur(w.p50), fmtDur(w.p50-truth.p50), 100*relErr(w.p50, truth.p50))
	fmt.Printf("  %-5s %11s %11s %11s %10s %7.2f%%\n", "p99", fmtDur(truth.p99), "", "wrk "+fmtDur(w.p99), fmtDur(w.p99-truth.p99), 100*relErr(w.p99, truth.p99))
	return nil
}

// stallRun runs an open model into a one-second stall and prints the
// corrected and raw p99 against what a generator that never waits would
// measure.
func stallRun(ctx context.Context, base string) error {
	if err := resetServer(ctx, base); err != nil {
		return err
	}
	fmt.Printf("\n  stall: open model at %d/s for %s with a pool of %d users; the server freezes for %s, %s after the first request\n",
		stallRate, stallLengthRun, stallUsers, stallLength, stallDelay)
	sc := &suite.Scenario{Name: "stall", Users: stallUsers, Duration: stallLengthRun,
		Load:  suite.LoadModel{Kind: suite.Constant, Rate: stallRate},
		Steps: []suite.Step{{Name: "stall", Method: "GET", Path: pathStall, Expect: suite.Expect{Status: []int{200}}}}}
	agg := aggregate.New(time.Now())
	var due []time.Time
	collect := loadharness.SinkFunc(func(r *loadharness.Result) {
		if len(due) < maxTimings {
			due = append(due, r.Intended)
		}
	})
	out, err := scenarios.Run(ctx, sc, scenarios.RunOptions{BaseURL: base, Sink: loadharness.Sinks{agg, collect}})
	if err != nil {
		return fmt.Errorf("stall: %w", err)
	}
	truth, err := fetchTruth(ctx, base)
	if err != nil {
		return err
	}
	if truth.stallAt.IsZero() {
		return fmt.Errorf("stall: the server never armed its stall")
	}
	st := agg.Snapshot(loadharness.Scope{Scenario: "stall"})
	if st.Requests == 0 || st.Failed > 0 {
		return fmt.Errorf("stall: %d requests, %d failed", st.Requests, st.Failed)
	}
	// Outside the stall a request costs what the raw median says.
	ideal := stallTruth(due, truth.stallAt, stallLength, fromMS(st.RawLatency.P50), 50, 99)
	corrected, raw := fromMS(st.Latency.P99), fromMS(st.RawLatency.P99)
	fmt.Printf("  %d requests, sent %.1f/s of %.1f/s asked; every user busy for %s\n", st.Requests, out.SentRPS, out.AskedRPS, out.PoolSaturated.Round(time.Millisecond))
	fmt.Printf("  p99 truth (each request timed from when it was due) %s\n", fmtDur(ideal[1]))
	fmt.Printf("  p99 corrected (from Intended)                        %s  error %s (%.1f%%)\n", fmtDur(corrected), fmtDur(corrected-ideal[1]), 100*relErr(corrected, ideal[1]))
	fmt.Printf("  p99 raw (from Sent: coordinated omission)            %s  error %s (%.1f%%)\n", fmtDur(raw), fmtDur(raw-ideal[1]), 100*relErr(raw, ideal[1]))
	fmt.Printf("  p99 of the server's own handler times                %s\n", fmtDur(truth.p99))
	return nil
}

// fromMS turns milliseconds into a duration.
func fromMS(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

// fmtDur prints d in milliseconds with three decimals.
func fmtDur(d time.Duration) string { return fmt.Sprintf("%.3fms", ms(d)) }
