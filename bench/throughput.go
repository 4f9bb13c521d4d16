package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"loadharness"
	"loadharness/reports/aggregate"
	"loadharness/scenarios"
	"loadharness/scenarios/suite"
)

// throughputResult is one generator's figures on the trivial handler.
type throughputResult struct {
	name     string
	requests uint64
	elapsed  time.Duration
	// cpu is the CPU the generator used, and server the CPU the server
	// process used meanwhile; 0 when unknown.
	cpu, server time.Duration
	// missing says why the generator did not run ("" when it did).
	missing string
}

// add sums another round of the same generator into r.
func (r *throughputResult) add(o throughputResult) {
	r.name, r.missing = o.name, o.missing
	r.requests += o.requests
	r.elapsed += o.elapsed
	r.cpu += o.cpu
	r.server += o.server
}

// rps is requests per second over the run.
func (r throughputResult) rps() float64 {
	if r.elapsed <= 0 {
		return 0
	}
	return float64(r.requests) / r.elapsed.Seconds()
}

// perRequest is d spread over the run's requests, in microseconds.
func (r throughputResult) perRequest(d time.Duration) float64 {
	if r.requests == 0 {
		return 0
	}
	return float64(d) / float64(time.Microsecond) / float64(r.requests)
}

// harnessScenario is the throughput run of the harness: every user logs in
// once (its session cookie then goes with each request), then sends GET /
// as fast as the server answers, each response checked for its status and
// content type.
func harnessScenario(users int, d time.Duration) *suite.Scenario {
	return &suite.Scenario{
		Name:     "throughput",
		Users:    users,
		Duration: d,
		Load:     suite.LoadModel{Kind: suite.Closed},
		Setup:    []suite.Step{{Name: "login", Method: "GET", Path: pathLogin, Expect: suite.Expect{Status: []int{200}}}},
		Steps: []suite.Step{{Name: "hello", Method: "GET", Path: pathHello,
			Expect: suite.Expect{Status: []int{200}, ContentType: "text/plain"}}},
	}
}

// runHarness drives baseURL with the harness engine, its results folded
// into an aggregate as in a real run.
func runHarness(ctx context.Context, baseURL string, users int, d time.Duration) (throughputResult, error) {
	sc := harnessScenario(users, d)
	agg := aggregate.New(time.Now())
	cpu0 := processCPU()
	out, err := scenarios.Run(ctx, sc, scenarios.RunOptions{BaseURL: baseURL, Sink: agg})
	cpu := processCPU() - cpu0
	if err != nil {
		return throughputResult{}, fmt.Errorf("harness: %w", err)
	}
	st := agg.Snapshot(loadharness.Scope{Scenario: sc.Name, Step: "hello"})
	if st.Requests == 0 || st.Failed > 0 || st.ChecksFailed > 0 {
		return throughputResult{}, fmt.Errorf("harness: %d requests, %d failed, %d checks failed", st.Requests, st.Failed, st.ChecksFailed)
	}
	// The setup's logins are a hundred requests out of hundreds of
	// thousands: their CPU is left in.
	return throughputResult{name: "harness", requests: uint64(st.Requests), elapsed: out.Finished.Sub(out.Started), cpu: cpu}, nil
}

// runVegeta drives baseURL with Vegeta's library attacker as its CLI does at
// -rate=0: workers as fast as they can, results folded into vegeta.Metrics.
func runVegeta(ctx context.Context, baseURL string, workers int, d time.Duration) (throughputResult, error) {
	atk := vegeta.NewAttacker(vegeta.Workers(uint64(workers)), vegeta.MaxWorkers(uint64(workers)))
	defer context.AfterFunc(ctx, func() { atk.Stop() })()
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: baseURL + pathHello})
	var m vegeta.Metrics
	cpu0 := processCPU()
	start := time.Now()
	for r := range atk.Attack(tr, vegeta.Rate{}, d, "vegeta") {
		m.Add(r)
	}
	elapsed := time.Since(start)
	m.Close()
	cpu := processCPU() - cpu0
	if m.Requests == 0 || m.Success < 1 {
		return throughputResult{}, fmt.Errorf("vegeta: %d requests, success %.4f, errors %v", m.Requests, m.Success, m.Errors)
	}
	return throughputResult{name: "vegeta", requests: m.Requests, elapsed: elapsed, cpu: cpu}, nil
}

// wrkArgs is wrk's command line: two threads (one per core) and conns
// connections for d.
func wrkArgs(url string, conns int, d time.Duration) []string {
	return []string{"-t2", "-c" + strconv.Itoa(conns), "-d" + strconv.Itoa(int(d.Seconds())) + "s", url}
}

// runWrk drives baseURL with wrk, when it is installed.
func runWrk(ctx context.Context, baseURL string, conns int, d time.Duration) (throughputResult, error) {
	path, err := exec.LookPath("wrk")
	if err != nil {
		return throughputResult{name: "wrk", missing: "wrk is not installed (apt-get install -y wrk)"}, nil
	}
	cmd := exec.CommandContext(ctx, path, wrkArgs(baseURL+pathHello, conns, d)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return throughputResult{}, fmt.Errorf("wrk: %w: %s", err, out)
	}
	w, err := parseWrk(out)
	if err != nil {
		return throughputResult{}, fmt.Errorf("wrk: %w", err)
	}
	if w.errors > 0 {
		return throughputResult{}, fmt.Errorf("wrk: %d errors of %d requests", w.errors, w.requests)
	}
	return throughputResult{name: "wrk", requests: w.requests, elapsed: w.elapsed, cpu: exitedCPU(cmd)}, nil
}
