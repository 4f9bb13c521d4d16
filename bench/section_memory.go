package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"loadharness"
	"loadharness/reports/aggregate"
)

// memoryWindow is the span of the synthetic run: the same minute, filled
// with more and more results, so that what grows with the results alone
// shows.
const memoryWindow = time.Minute

// memoryFigures are what one memory child measured.
type memoryFigures struct {
	results int
	// peakHeap is the most the heap held (live and not yet collected
	// objects) while aggregating; liveHeap what it holds after a GC at the
	// end; peakRSS the process's peak resident set (VmHWM).
	peakHeap, liveHeap, peakRSS uint64
	elapsed                     time.Duration
}

// benchMemory aggregates a tenth of cfg.results, then cfg.results, in
// children of their own (a process's peak RSS never goes down), and prints
// their memory side by side.
func benchMemory(ctx context.Context, cfg config, sum *summary) error {
	printCommand([]string{"go", "run", "./bench", "-sections", "memory", "-results", strconv.Itoa(cfg.results)})
	fmt.Printf("  synthetic results of one %s run: 2 scenarios x 3 steps, 500 users, 3 instances, log-normal latencies around 50ms with a 1%% tail near 2s, 0.5%% 503s, in the order they were sent, folded into one aggregate.Aggregate\n", memoryWindow)
	var figs []memoryFigures
	for _, n := range []int{cfg.results / 10, cfg.results} {
		c, err := startChild(ctx, "memory-child", strconv.Itoa(n))
		if err != nil {
			return err
		}
		line, err := c.line()
		stopErr := c.stop()
		if err != nil {
			return err
		}
		if stopErr != nil {
			return stopErr
		}
		f, err := parseMemoryLine(line)
		if err != nil {
			return err
		}
		figs = append(figs, f)
	}
	fmt.Printf("\n  %12s %12s %12s %12s %10s %22s\n", "results", "peak heap", "live heap", "peak RSS", "took", "ns/result (make + Add)")
	for _, f := range figs {
		fmt.Printf("  %12d %12s %12s %12s %10s %22.0f\n", f.results, mib(f.peakHeap), mib(f.liveHeap), mib(f.peakRSS),
			f.elapsed.Round(10*time.Millisecond), float64(f.elapsed.Nanoseconds())/float64(max(f.results, 1)))
	}
	small, big := figs[0], figs[1]
	fmt.Printf("  10x the results: peak heap x%.2f, live heap x%.2f, peak RSS x%.2f (flat is x1)\n",
		float64(big.peakHeap)/float64(max(small.peakHeap, 1)), float64(big.liveHeap)/float64(max(small.liveHeap, 1)),
		float64(big.peakRSS)/float64(max(small.peakRSS, 1)))
	sum.heap10M, sum.heapMeasured = big.peakHeap, true
	return nil
}

// mib prints bytes in MiB with one decimal.
func mib(b uint64) string { return fmt.Sprintf("%.1fMiB", float64(b)/(1<<20)) }

// memoryLine is the one line a memory child prints.
func (f memoryFigures) memoryLine() string {
	return fmt.Sprintf("results=%d peak_heap=%d live_heap=%d peak_rss=%d elapsed_ns=%d",
		f.results, f.peakHeap, f.liveHeap, f.peakRSS, f.elapsed.Nanoseconds())
}

// parseMemoryLine reads a memory child's line.
func parseMemoryLine(s string) (memoryFigures, error) {
	var f memoryFigures
	seen := 0
	for _, kv := range strings.Fields(s) {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return memoryFigures{}, fmt.Errorf("parse memory line: %q is not key=value", kv)
		}
		n, err := strconv.ParseUint(v, 10, 63)
		if err != nil {
			return memoryFigures{}, fmt.Errorf("parse memory line: %s: %w", k, err)
		}
		switch k {
		case "results":
			f.results = int(n)
		case "peak_heap":
			f.peakHeap = n
		case "live_heap":
			f.liveHeap = n
		case "peak_rss":
			f.peakRSS = n
		case "elapsed_ns":
			f.elapsed = time.Duration(n)
		default:
			continue
		}
		seen++
	}
	if seen != 5 {
		return memoryFigures{}, fmt.Errorf("parse memory line: %d of 5 figures in %q", seen, s)
	}
	return f, nil
}

// memoryChild is the child role: aggregate N synthetic results and print
// one memoryLine.
func memoryChild(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("memory-child: want the number of results")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		return fmt.Errorf("memory-child: bad number of results %q", args[0])
	}
	f := aggregateSynthetic(n)
	fmt.Println(f.memoryLine())
	return nil
}

// aggregateSynthetic folds n synthetic results into an aggregate, sampling
// the heap every 20ms meanwhile, and measures the memory it took.
func aggregateSynthetic(n int) memoryFigures {
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	start := time.Now()
	t0 := time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)
	agg := aggregate.New(t0)
	gen := newSyntheticResults(1, t0, n)
	var r loadharness.Result
	for range n {
		gen.next(&r)
		agg.Add(&r)
	}
	elapsed := time.Since(start)
	close(stop)
	<-sampled
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(agg)
	return memoryFigures{results: n, peakHeap: peak.Load(), liveHeap: ms.HeapAlloc, peakRSS: peakRSS(), elapsed: elapsed}
}

// peakRSS is the process's peak resident set (VmHWM), 0 when unknown.
func peakRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseUint(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 63)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}

// syntheticResults makes results one at a time, without keeping them, so
// that the memory measured is the aggregate's. They arrive in the order a
// run sends them: n of them spread evenly over memoryWindow, each a few
// milliseconds off its slot, as requests of many users interleave.
type syntheticResults struct {
	rng *rand.Rand
	t0  time.Time
	n   int
	i   int
}

var (
	synthScenarios = [...]string{"browse", "failover"}
	synthSteps     = [...]string{"upload", "map", "download"}
	synthInstances = [...]string{"instance-1", "instance-2", "instance-3"}
)

func newSyntheticResults(seed uint64, t0 time.Time, n int) *syntheticResults {
	return &syntheticResults{rng: rand.New(rand.NewPCG(seed, 42)), t0: t0, n: max(n, 1)}
}

// next fills r with the next result.
func (g *syntheticResults) next(r *loadharness.Result) {
	rng := g.rng
	latency := time.Duration(math.Exp(math.Log(50e6) + 0.5*rng.NormFloat64()))
	if rng.IntN(100) == 0 {
		latency = 2*time.Second + time.Duration(rng.IntN(500))*time.Millisecond
	}
	slot := time.Duration(float64(memoryWindow) * float64(g.i) / float64(g.n))
	sent := g.t0.Add(slot + time.Duration(rng.IntN(5_000_000)))
	*r = loadharness.Result{
		Scenario: synthScenarios[g.i%2],
		Step:     synthSteps[(g.i/2)%3],
		Method:   "GET",
		URL:      "http://127.0.0.1:8080/map",
		User:     uint32(1 + rng.IntN(500)),
		Seq:      uint64(g.i),
		Intended: sent.Add(-time.Duration(rng.IntN(5)) * time.Millisecond),
		Sent:     sent,
		Latency:  latency,
		Code:     200,
		BytesIn:  512,
		BytesOut: 4096,
		Instance: synthInstances[rng.IntN(3)],
		Session:  loadharness.SessionKept,
	}
	if rng.IntN(200) == 0 {
		r.Code, r.Error = 503, "503 Service Unavailable"
	}
	if r.User%97 == 0 {
		r.Session, r.CheckFailure = loadharness.SessionLost, "dataset belongs to another user"
	}
	g.i++
}
