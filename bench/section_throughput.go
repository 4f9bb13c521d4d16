package main

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// benchThroughput drives the trivial handler with each generator in turn,
// on one server process, and prints requests per second, what each request
// cost the generator and the server in CPU, and the ratios. The machine is
// shared: the generators take turns in rounds (harness, Vegeta, wrk, then
// again), so that a burst of someone else's load weighs on all of them
// rather than on whichever ran at the time.
func benchThroughput(ctx context.Context, cfg config, sum *summary) error {
	srv, base, err := startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	slice := cfg.duration / time.Duration(cfg.rounds)
	if slice < time.Second || slice%time.Second != 0 {
		return fmt.Errorf("-duration %s must split into %d rounds of whole seconds (wrk's unit)", cfg.duration, cfg.rounds)
	}
	fmt.Printf("server %s: Echo in its own process, GET %s answers 13 bytes; %d users/connections; %s each in %d rounds of %s, taking turns\n",
		base, pathHello, cfg.users, cfg.duration, cfg.rounds, slice)
	printCommand([]string{"go", "run", "./bench", "-sections", "throughput", "-users", fmt.Sprint(cfg.users),
		"-duration", cfg.duration.String(), "-rounds", fmt.Sprint(cfg.rounds)})

	runs := []struct {
		name     string
		describe string
		run      func() (throughputResult, error)
	}{
		{"harness", fmt.Sprintf("scenarios.Run: closed model, %d users, each logs in once (GET %s sets its session cookie), then GET %s checked for status 200 and text/plain, results into aggregate.Aggregate",
			cfg.users, pathLogin, pathHello),
			func() (throughputResult, error) { return runHarness(ctx, base, cfg.users, slice) }},
		{"vegeta", fmt.Sprintf("vegeta.NewAttacker(Workers(%d), MaxWorkers(%d)).Attack(GET %s, Rate{} = as fast as it can, %s), results into vegeta.Metrics",
			cfg.users, cfg.users, pathHello, slice),
			func() (throughputResult, error) { return runVegeta(ctx, base, cfg.users, slice) }},
		{"wrk", "", func() (throughputResult, error) { return runWrk(ctx, base, cfg.users, slice) }},
	}
	for _, r := range runs {
		if r.describe != "" {
			fmt.Printf("  %s: %s\n", r.name, r.describe)
		}
	}
	if _, err := exec.LookPath("wrk"); err == nil {
		fmt.Print("  wrk, each round: ")
		printCommand(append([]string{"wrk"}, wrkArgs(base+pathHello, cfg.users, slice)...))
	}
	results := make([]throughputResult, len(runs))
	perRound := make([][]float64, len(runs))
	for range cfg.rounds {
		for i, r := range runs {
			srv0, _ := pidCPU(srv.cmd.Process.Pid)
			res, err := r.run()
			srv1, _ := pidCPU(srv.cmd.Process.Pid)
			if err != nil {
				return err
			}
			res.server = srv1 - srv0
			results[i].add(res)
			perRound[i] = append(perRound[i], res.rps())
			// Let the server's connections of one run close before the next.
			time.Sleep(300 * time.Millisecond)
		}
	}
	fmt.Printf("\n  %-8s %10s %10s %12s %12s %16s %s\n", "", "req/s", "requests", "gen us/req", "srv us/req", "cpu-bound req/s", "   req/s by round")
	for i, r := range results {
		if r.missing != "" {
			fmt.Printf("  %-8s n/a: %s\n", r.name, r.missing)
			continue
		}
		gen, srvUS := r.perRequest(r.cpu), r.perRequest(r.server)
		// With generator and server sharing the cores, neither can go past
		// cores / (CPU per request of both).
		bound := 0.0
		if gen+srvUS > 0 {
			bound = float64(runtime.NumCPU()) * 1e6 / (gen + srvUS)
		}
		fmt.Printf("  %-8s %10.0f %10d %12.1f %12.1f %16.0f    %s\n", r.name, r.rps(), r.requests, gen, srvUS, bound, roundsText(perRound[i]))
	}
	h, v, w := results[0], results[1], results[2]
	sum.harnessRPS, sum.vegetaRPS, sum.wrkRPS = h.rps(), v.rps(), w.rps()
	if cfg.profile != "" {
		// Profiled apart from the measured rounds: a CPU profile costs its
		// generator a few percent.
		fmt.Printf("  one more %s run each of the harness and vegeta, profiled, not counted:\n", slice)
		for _, r := range runs[:2] {
			stop, err := startProfiles(cfg.profile, "throughput-"+r.name)
			if err != nil {
				return err
			}
			_, err = r.run()
			stop()
			if err != nil {
				return err
			}
		}
	}
	fmt.Printf("  harness/vegeta %s (aim >= 1.20)   harness/wrk %s (aim >= 0.90)\n",
		ratioText(h.rps(), v.rps()), ratioText(h.rps(), w.rps()))
	fmt.Printf("  per request, the harness used %s of vegeta's generator CPU and %s of wrk's\n",
		ratioText(h.perRequest(h.cpu), v.perRequest(v.cpu)), ratioText(h.perRequest(h.cpu), w.perRequest(w.cpu)))
	return nil
}

// ratioText is a/b with two decimals, or n/a.
func ratioText(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", a/b)
}

// roundsText lists the rounds' rates.
func roundsText(rps []float64) string {
	parts := make([]string, len(rps))
	for i, r := range rps {
		parts[i] = fmt.Sprintf("%.0f", r)
	}
	return strings.Join(parts, " ")
}
