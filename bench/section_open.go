package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"loadharness"
	"loadharness/reports/aggregate"
	"loadharness/scenarios"
	"loadharness/scenarios/suite"
)

// The open section searches, for the harness's open model and for Vegeta's
// attacker alike, the highest constant rate each sustains on the trivial
// handler: a probe passes when it sent at least openMinShare of the asked
// rate, every request succeeded, and the generator's lag (due → sent) had a
// p99 under openMaxLagP99. Rates double from openFirstRate until a probe
// fails, then bisection narrows the gap to openResolution.
const (
	openFirstRate = 1000
	// openLowestRate is as far down as a search goes when openFirstRate
	// fails: Vegeta's attack loop waits with time.Sleep, whose lateness in
	// an idle process is up to a millisecond at any rate.
	openLowestRate = 125
	openMaxRate    = 256_000
	openProbe      = 2 * time.Second
	// openWarmup comes before each probe, at its rate, unmeasured: both
	// generators open their connections then, as any run's warm-up does.
	openWarmup     = 500 * time.Millisecond
	openMinShare   = 0.95
	openMaxLagP99  = time.Millisecond
	openResolution = 0.10 // stop when the failing rate is within 10% of the passing one
	// openUsers is both generators' ceiling on requests in flight: the
	// harness's pool of users, Vegeta's MaxWorkers.
	openUsers = 1000
)

// openProbeResult is one probe of one generator.
type openProbeResult struct {
	asked, sent    float64 // requests per second
	failed         int
	lagP50, lagP99 time.Duration
}

// pass says whether the probe sustained its rate, and why not; withLag
// adds the generator lag's bound to the rule.
func (p openProbeResult) pass(withLag bool) (bool, string) {
	switch {
	case p.sent < openMinShare*p.asked:
		return false, fmt.Sprintf("sent %.0f/s, under %.0f%% of the rate", p.sent, 100*openMinShare)
	case p.failed > 0:
		return false, fmt.Sprintf("%d requests failed or dropped", p.failed)
	case withLag && p.lagP99 >= openMaxLagP99:
		return false, fmt.Sprintf("lag p99 %s ≥ %s", p.lagP99.Round(time.Microsecond), openMaxLagP99)
	}
	return true, ""
}

// openGenerator probes one rate.
type openGenerator struct {
	name  string
	probe func(ctx context.Context, rate int) (openProbeResult, error)
}

// benchOpen runs the search for both generators, the harness first, on one
// server process, and prints each probe and the highest rate each held.
func benchOpen(ctx context.Context, cfg config, sum *summary) error {
	srv, base, err := startServer(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Printf("server %s: Echo in its own process, GET %s; each probe holds a constant rate for %s after a warm-up of %s\n", base, pathHello, openProbe, openWarmup)
	fmt.Printf("  a rate is held when ≥ %.0f%% of it was sent, no request failed and the generator lag p99 (due → sent) < %s\n",
		100*openMinShare, openMaxLagP99)
	fmt.Printf("  harness: scenarios.Run, open model (constant), a pool of %d users, results into aggregate.Aggregate; lag from each result's Intended → Sent\n", openUsers)
	fmt.Printf("  vegeta: vegeta.NewAttacker(MaxWorkers(%d)).Attack(Rate{Freq: rate, Per: 1s}), results into vegeta.Metrics; lag from each result's Timestamp against its Seq's due time, counted from the hit that was least late\n", openUsers)
	printCommand([]string{"go", "run", "./bench", "-sections", "open"})
	gens := []openGenerator{
		{"harness", func(ctx context.Context, rate int) (openProbeResult, error) {
			return probeHarnessOpen(ctx, base, rate, "")
		}},
		{"vegeta", func(ctx context.Context, rate int) (openProbeResult, error) { return probeVegetaOpen(ctx, base, rate) }},
	}
	// Two searches each: by the rule with the lag bound (the issue's), and
	// by rate alone, since a generator that never meets the lag bound
	// would otherwise have no figure to compare.
	var held, failed [2][2]int // [lag rule, rate alone][harness, vegeta]
	for rule, withLag := range []bool{true, false} {
		name := "rate, failures and lag p99"
		if !withLag {
			name = "rate and failures alone"
		}
		fmt.Printf("  search by %s:\n", name)
		for i, g := range gens {
			rate, bad, err := searchOpenRate(ctx, g, withLag)
			if err != nil {
				return fmt.Errorf("%s: %w", g.name, err)
			}
			held[rule][i], failed[rule][i] = rate, bad
		}
	}
	if cfg.profile != "" && held[0][0] > 0 {
		p, err := probeHarnessOpen(ctx, base, held[0][0], cfg.profile)
		if err != nil {
			return fmt.Errorf("harness, profiled: %w", err)
		}
		fmt.Printf("  harness at %d/s again, profiled: sent %.0f/s, lag p99 %s\n", held[0][0], p.sent, p.lagP99.Round(time.Microsecond))
	}
	for rule, name := range []string{fmt.Sprintf("with lag p99 < %s:", openMaxLagP99), "by rate alone:"} {
		fmt.Printf("  held %-26s harness %s, vegeta %s; harness/vegeta = %s", name,
			heldText(held[rule][0], failed[rule][0]), heldText(held[rule][1], failed[rule][1]),
			openRatio(float64(held[rule][0]), float64(held[rule][1]), float64(failed[rule][1])))
		if rule == 0 {
			fmt.Print(" (aim ≥ 1.5)")
		}
		fmt.Println()
	}
	sum.openHarness, sum.openVegeta, sum.openVegetaFailed = float64(held[0][0]), float64(held[0][1]), float64(failed[0][1])
	sum.openRateHarness, sum.openRateVegeta = float64(held[1][0]), float64(held[1][1])
	return nil
}

// searchOpenRate doubles the rate until a probe fails, then bisects; it
// returns the highest rate that passed and the lowest that failed (0 when
// none did). When even the first fails it halves the rate down to
// openLowestRate; held is 0 when none of those passed either.
func searchOpenRate(ctx context.Context, g openGenerator, withLag bool) (held, failed int, err error) {
	good, bad := 0, 0
	probe := func(rate int) (bool, error) {
		p, err := g.probe(ctx, rate)
		if err != nil {
			return false, err
		}
		ok, why := p.pass(withLag)
		verdict := "held"
		if !ok {
			verdict = "not held: " + why
		}
		fmt.Printf("  %-8s %7d/s: sent %8.0f/s, lag p50 %8s p99 %8s — %s\n", g.name, rate, p.sent,
			p.lagP50.Round(time.Microsecond), p.lagP99.Round(time.Microsecond), verdict)
		return ok, nil
	}
	// A rate fails when two probes in a row fail: on a shared machine one
	// probe in a few meets someone else's burst, and a search must not end
	// on it (both generators get the same second chance).
	try := func(rate int) (bool, error) {
		ok, err := probe(rate)
		if ok || err != nil {
			return ok, err
		}
		return probe(rate)
	}
	for rate := openFirstRate; rate <= openMaxRate; rate *= 2 {
		ok, err := try(rate)
		if err != nil {
			return 0, 0, err
		}
		if !ok {
			bad = rate
			break
		}
		good = rate
	}
	if bad == 0 {
		return good, 0, nil // held everything asked
	}
	if good == 0 {
		// Not even the first rate held: halve it, so that a generator
		// with a figure below openFirstRate gets it, and one with none is
		// known to hold nothing down to openLowestRate.
		for rate := openFirstRate / 2; rate >= openLowestRate; rate /= 2 {
			ok, err := try(rate)
			if err != nil {
				return 0, 0, err
			}
			if ok {
				good = rate
				break
			}
			bad = rate
		}
	}
	for good > 0 && float64(bad-good) > openResolution*float64(good) {
		mid := (good + bad) / 2
		ok, err := try(mid)
		if err != nil {
			return 0, 0, err
		}
		if ok {
			good = mid
		} else {
			bad = mid
		}
	}
	return good, bad, nil
}

// heldText says what a search found: the rate held, or that none was down
// to the lowest tried.
func heldText(held, failed int) string {
	if held == 0 && failed > 0 {
		return fmt.Sprintf("none down to %d/s", failed)
	}
	return fmt.Sprintf("%d/s", held)
}

// openRatio is the harness's held rate over Vegeta's; when Vegeta held
// nothing down to the lowest rate tried, the ratio is known only to be
// above the harness's rate over that one, and says so with ">".
func openRatio(harness, vegeta, vegetaFailed float64) string {
	if harness > 0 && vegeta == 0 && vegetaFailed > 0 {
		return ">" + ratioText(harness, vegetaFailed)
	}
	return ratioText(harness, vegeta)
}

// lagSink keeps every result's generator lag beside the aggregate, for a
// probe's exact percentiles (a probe has tens of thousands of results).
type lagSink struct {
	agg  *aggregate.Aggregate
	lags []time.Duration
}

func (s *lagSink) Add(r *loadharness.Result) {
	s.agg.Add(r)
	if r.Dropped == 0 && r.Phase == loadharness.PhaseMain && !r.Intended.IsZero() {
		s.lags = append(s.lags, max(r.Sent.Sub(r.Intended), 0))
	}
}

func (s *lagSink) Close() error { return nil }

// probeHarnessOpen holds rate with the harness's open model, profiled into
// the folder profile unless it is "".
func probeHarnessOpen(ctx context.Context, base string, rate int, profile string) (openProbeResult, error) {
	sc := &suite.Scenario{
		Name:     "open",
		Users:    openUsers,
		Warmup:   openWarmup,
		Duration: openProbe,
		Load:     suite.LoadModel{Kind: suite.Constant, Rate: suite.Rate(rate)},
		Steps:    []suite.Step{{Name: "hello", Method: "GET", Path: pathHello, Weight: 1, Expect: suite.Expect{Status: []int{200}}}},
		Pick:     suite.PickSequence,
	}
	sink := &lagSink{agg: aggregate.New(time.Now()), lags: make([]time.Duration, 0, rate*3)}
	stop, err := startProfiles(profile, "open-harness")
	if err != nil {
		return openProbeResult{}, err
	}
	out, err := scenarios.Run(ctx, sc, scenarios.RunOptions{BaseURL: base, Sink: sink})
	stop()
	if err != nil {
		return openProbeResult{}, err
	}
	st := sink.agg.Snapshot(loadharness.Scope{Scenario: sc.Name})
	p50, p99 := lagQuantiles(sink.lags)
	return openProbeResult{
		asked:  float64(rate),
		sent:   float64(out.Sent) / openProbe.Seconds(),
		failed: st.Failed + st.Dropped,
		lagP50: p50, lagP99: p99,
	}, nil
}

// probeVegetaOpen holds rate with Vegeta's attacker.
func probeVegetaOpen(ctx context.Context, base string, rate int) (openProbeResult, error) {
	atk := vegeta.NewAttacker(vegeta.MaxWorkers(openUsers))
	defer context.AfterFunc(ctx, func() { atk.Stop() })()
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: base + pathHello})
	var m vegeta.Metrics
	interval := time.Second / time.Duration(rate)
	// offsets are each hit's Timestamp less its due time counted from an
	// unknown start; the least of them stands for the start, so the lag of
	// the hit sent most promptly counts as 0 (in Vegeta's favour).
	offsets := make([]time.Duration, 0, rate*3)
	// One attack covers the warm-up and the probe (an attacker stops for
	// good when its attack ends); the warm-up's hits are the first seqs.
	warmHits := uint64(float64(rate) * openWarmup.Seconds())
	var t0 time.Time
	for r := range atk.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, openWarmup+openProbe, "open") {
		if r.Seq < warmHits {
			continue
		}
		m.Add(r)
		if t0.IsZero() {
			t0 = r.Timestamp.Add(-time.Duration(r.Seq) * interval)
		}
		offsets = append(offsets, r.Timestamp.Sub(t0)-time.Duration(r.Seq)*interval)
	}
	m.Close()
	if len(offsets) == 0 {
		return openProbeResult{}, fmt.Errorf("vegeta sent nothing at %d/s", rate)
	}
	least := slices.Min(offsets)
	for i := range offsets {
		offsets[i] -= least
	}
	p50, p99 := lagQuantiles(offsets)
	return openProbeResult{
		asked:  float64(rate),
		sent:   float64(m.Requests) / openProbe.Seconds(),
		failed: int(m.Requests) - int(float64(m.Requests)*m.Success+0.5),
		lagP50: p50, lagP99: p99,
	}, nil
}

// lagQuantiles returns the exact p50 and p99 of lags (sorted in place).
func lagQuantiles(lags []time.Duration) (p50, p99 time.Duration) {
	if len(lags) == 0 {
		return 0, 0
	}
	slices.Sort(lags)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(lags))+0.5) - 1
		return lags[min(max(i, 0), len(lags)-1)]
	}
	return at(0.50), at(0.99)
}
