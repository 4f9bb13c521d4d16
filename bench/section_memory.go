package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"loadharness"
	"loadharness/internal/synthetic"
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
	gen := synthetic.New(1, t0, memoryWindow, n, synthetic.InOrder)
	var r loadharness.Result
	for range n {
		gen.Next(&r)
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
