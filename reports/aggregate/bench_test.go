package aggregate_test

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"loadharness"
	"loadharness/internal/synthetic"
	"loadharness/reports/aggregate"
	"loadharness/reports/internal/fixture"
)

// syntheticResults makes n results of a 60-second run, sent in any order
// (internal/synthetic). The same seed gives the same results.
func syntheticResults(seed uint64, n int) []loadharness.Result {
	return synthetic.Results(seed, t0, time.Minute, n)
}

func BenchmarkAggregateAdd(b *testing.B) {
	results := syntheticResults(1, 1<<16)
	a := aggregate.New(t0)
	// Warm up: after one pass every scope, second, latency bucket, code,
	// instance and user exists, and Add must not allocate again.
	for i := range results {
		a.Add(&results[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	i := 0
	for b.Loop() {
		a.Add(&results[i&(len(results)-1)])
		i++
	}
}

func TestAggregateAddDoesNotAllocateOnceWarm(t *testing.T) {
	if testing.Short() {
		t.Skip("measures allocations over 64k results")
	}
	results := syntheticResults(1, 1<<16)
	a := aggregate.New(t0)
	for i := range results {
		a.Add(&results[i])
	}
	i := 0
	allocs := testing.AllocsPerRun(len(results), func() {
		a.Add(&results[i%len(results)])
		i++
	})
	if allocs != 0 {
		t.Errorf("Add allocates %v times per result once warm, want 0", allocs)
	}
}

func BenchmarkMeasure(b *testing.B) {
	a := fixture.MustAggregate(b, t0, syntheticResults(1, 1<<16))
	tests := []struct {
		gate  string
		scope loadharness.Scope
	}{
		{"p95 < 2s", loadharness.Scope{Scenario: "browse"}},
		{"p99{step:map} < 2s", loadharness.Scope{Scenario: "browse", Step: "map"}},
		{"error_rate < 1%", loadharness.Scope{}},
		{"sessions_lost == 0", loadharness.Scope{Scenario: "browse"}},
	}
	for _, tt := range tests {
		m := MustGate(b, tt.gate).Metric
		b.Run(tt.gate, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := a.Measure(m, tt.scope); !ok {
					b.Fatal("not measured")
				}
			}
		})
	}
}

func BenchmarkSnapshot(b *testing.B) {
	a := fixture.MustAggregate(b, t0, syntheticResults(1, 1<<16))
	b.ReportAllocs()
	for b.Loop() {
		a.Snapshot(loadharness.Scope{Scenario: "browse"})
	}
}

// BenchmarkSnapshotWhileAdding reads a scenario's figures after every Add,
// as a progress line does once a second during a run and an abort check
// twice: each read merges the steps' counters afresh (a cached view serves
// reads only until the next Add).
func BenchmarkSnapshotWhileAdding(b *testing.B) {
	results := syntheticResults(1, 1<<16)
	a := fixture.MustAggregate(b, t0, results)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		a.Add(&results[i&(len(results)-1)])
		a.Snapshot(loadharness.Scope{Scenario: "browse"})
		i++
	}
}

// heapAfterGC returns the live heap once garbage is collected.
func heapAfterGC() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestAggregateMemoryIsBoundedByDuration folds 100k, then 1M, then 2M
// results of the same 60-second run into one aggregate. Memory follows the
// run's seconds, scopes, users and latency spread, not its requests: what
// still grows is the per-second histograms reaching rare tail buckets and
// widening their counts past 255 and 65535 (1, 2, then 4 bytes a bucket),
// both bounded by the bucket count.
func TestAggregateMemoryIsBoundedByDuration(t *testing.T) {
	if testing.Short() {
		t.Skip("folds two million results")
	}
	const batch = 100_000
	base := heapAfterGC()
	a := aggregate.New(t0)
	heapAt := map[int]uint64{}
	added := 0
	for seed := uint64(1); added < 2_000_000; seed++ {
		results := syntheticResults(seed, batch)
		for i := range results {
			a.Add(&results[i])
		}
		added += batch
		if added == 100_000 || added == 1_000_000 || added == 2_000_000 {
			results = nil
			heapAt[added] = heapAfterGC() - base
			runtime.KeepAlive(a)
		}
	}
	for _, n := range []int{100_000, 1_000_000, 2_000_000} {
		t.Logf("heap after %8d results: %6.2f MB", n, float64(heapAt[n])/1e6)
	}
	// Keeping the results would cost over 100 bytes each; the aggregate must
	// not come near that, and ten times the requests must cost far less than
	// ten times the memory.
	if perResult := float64(heapAt[1_000_000]-heapAt[100_000]) / 900_000; perResult > 4 {
		t.Errorf("heap grew %.1f bytes per result between 100k and 1M results", perResult)
	}
	if heapAt[1_000_000] > heapAt[100_000]*3/2 {
		t.Errorf("heap grew from %d to %d bytes between 100k and 1M results", heapAt[100_000], heapAt[1_000_000])
	}
	if heapAt[2_000_000] > heapAt[1_000_000]*5/4 {
		t.Errorf("heap grew from %d to %d bytes between 1M and 2M results", heapAt[1_000_000], heapAt[2_000_000])
	}
}

// BenchmarkAggregateMemory reports the live heap of an aggregate holding
// b.N fresh results of one 60-second run (generated outside the timer);
// compare -benchtime=100000x with -benchtime=1000000x.
func BenchmarkAggregateMemory(b *testing.B) {
	const batch = 1 << 16
	base := heapAfterGC()
	a := aggregate.New(t0)
	for done, seed := 0, uint64(1); done < b.N; seed++ {
		b.StopTimer()
		results := syntheticResults(seed, min(batch, b.N-done))
		b.StartTimer()
		for i := range results {
			a.Add(&results[i])
		}
		done += len(results)
	}
	b.StopTimer()
	heap := heapAfterGC() - base
	runtime.KeepAlive(a)
	b.ReportMetric(float64(heap)/1e6, "heapMB")
}

// BenchmarkAggregateAddInOrder folds results in the order a run delivers
// them, sent times rising through the run with a few milliseconds of
// jitter, where BenchmarkAggregateAdd draws them from anywhere in one
// minute. The sub-benchmarks are the rate of the whole run over its six
// scenario steps: the per-second histograms cost by the latency buckets a
// second fills, so a result costs less the more results share a second.
// Each aggregate holds a run of benchRunLength, then a fresh one starts
// (outside the timer): the figure is that of a run of that length, its
// first results (new seconds, users, buckets) included, whatever the
// benchtime.
func BenchmarkAggregateAddInOrder(b *testing.B) {
	const benchRunLength = 10 * time.Minute
	for _, rate := range []int{1000, 10_000} {
		b.Run(fmt.Sprintf("rate=%d", rate), func(b *testing.B) {
			results := syntheticResults(1, 1<<16)
			window := time.Duration(len(results)) * time.Second / time.Duration(rate)
			for i := range results {
				sent := t0.Add(time.Duration(i)*window/time.Duration(len(results)) + time.Duration(i%7)*time.Millisecond)
				results[i].Intended, results[i].Sent = sent.Add(results[i].Intended.Sub(results[i].Sent)), sent
			}
			perRun := int(benchRunLength / window * time.Duration(len(results)))
			a := aggregate.New(t0)
			var r loadharness.Result
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i == perRun {
					b.StopTimer()
					a, i = aggregate.New(t0), 0
					b.StartTimer()
				}
				r = results[i&(len(results)-1)]
				pass := time.Duration(i/len(results)) * window
				r.Sent, r.Intended = r.Sent.Add(pass), r.Intended.Add(pass)
				a.Add(&r)
				i++
			}
		})
	}
}
