package reports

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"loadharness"
	"loadharness/reports/aggregate"
)

// The statistics a bootstrap estimates on a resampled run.
type statKind uint8

const (
	statQuantile   statKind = iota + 1 // latency quantile, ms
	statThroughput                     // requests per second
	statErrorRate                      // failed / requests
)

// block is a run of consecutive seconds, the unit the bootstrap resamples:
// latencies within a second, and often across a few seconds, are not
// independent (a GC pause, a failover), so resampling single requests would
// claim more certainty than the data holds.
type block struct {
	seconds          int
	requests, failed int64
	// buckets are (value index, count) pairs, merged over the block's
	// seconds, value indexes into the sample pair's shared value table.
	idx    []int32
	counts []int64
}

// runBlocks is one scope of one run cut into blocks.
type runBlocks struct {
	blocks []block
}

// minBlocks is the fewest blocks a run may have and still be tested: fewer
// and the bootstrap's interval is a guess.
const minBlocks = 5

// blockLength is the block length in seconds for a window of n seconds:
// about n^(1/3), the usual rate for a block bootstrap, at least 1.
func blockLength(n int) int {
	return max(1, int(math.Round(math.Cbrt(float64(n)))))
}

// pairSample is the same scope in two runs, ready to resample.
type pairSample struct {
	values    []float64 // latency of each value index, ms
	base, cur runBlocks
}

// newPairSample reads scope from both aggregates. raw selects the raw
// latency.
func newPairSample(base, cur *aggregate.Aggregate, scope loadharness.Scope, raw bool) pairSample {
	type secondBuckets map[int]map[int64]int64 // second → value → count
	read := func(a *aggregate.Aggregate) ([]aggregate.SecondStats, secondBuckets) {
		seconds := a.Seconds(scope)
		buckets := secondBuckets{}
		a.VisitSecondLatencies(scope, raw, func(second int, valueUS, count int64) {
			m := buckets[second]
			if m == nil {
				m = map[int64]int64{}
				buckets[second] = m
			}
			m[valueUS] += count
		})
		return seconds, buckets
	}
	bs, bb := read(base)
	cs, cb := read(cur)
	valueSet := map[int64]bool{}
	for _, sb := range []secondBuckets{bb, cb} {
		for _, m := range sb {
			for v := range m {
				valueSet[v] = true
			}
		}
	}
	valuesUS := make([]int64, 0, len(valueSet))
	for v := range valueSet {
		valuesUS = append(valuesUS, v)
	}
	slices.Sort(valuesUS)
	index := make(map[int64]int32, len(valuesUS))
	ps := pairSample{values: make([]float64, len(valuesUS))}
	for i, v := range valuesUS {
		index[v] = int32(i)
		ps.values[i] = float64(v) / 1e3
	}
	ps.base = cutBlocks(bs, bb, index)
	ps.cur = cutBlocks(cs, cb, index)
	return ps
}

// cutBlocks cuts a scope's active window into blocks of blockLength seconds.
func cutBlocks(seconds []aggregate.SecondStats, buckets map[int]map[int64]int64, index map[int64]int32) runBlocks {
	first, last := aggregate.ActiveWindow(seconds)
	if first < 0 {
		return runBlocks{}
	}
	n := last - first + 1
	length := blockLength(n)
	var rb runBlocks
	for start := first; start <= last; start += length {
		b := block{}
		merged := map[int32]int64{}
		for s := start; s < start+length && s <= last; s++ {
			b.seconds++
			b.requests += int64(seconds[s].Requests)
			b.failed += int64(seconds[s].Failed)
			for v, c := range buckets[s] {
				merged[index[v]] += c
			}
		}
		for i := range merged {
			b.idx = append(b.idx, i)
		}
		slices.Sort(b.idx)
		for _, i := range b.idx {
			b.counts = append(b.counts, merged[i])
		}
		rb.blocks = append(rb.blocks, b)
	}
	return rb
}

// resampler draws bootstrap replicates of a run's statistics.
type resampler struct {
	rng    *rand.Rand
	counts []int64 // scratch: count per value index
}

// stats returns the statistics of one replicate of rb: as many blocks as
// it has, drawn with replacement; quantiles (ms) at qs, throughput (/s)
// and error rate.
func (r *resampler) stats(rb runBlocks, values []float64, qs []float64) (quant []float64, rps, errRate float64) {
	clear(r.counts)
	var total, requests, failed int64
	secs := 0
	for range rb.blocks {
		b := &rb.blocks[r.rng.IntN(len(rb.blocks))]
		secs += b.seconds
		requests += b.requests
		failed += b.failed
		for j, idx := range b.idx {
			r.counts[idx] += b.counts[j]
			total += b.counts[j]
		}
	}
	quant = make([]float64, len(qs))
	for k := range quant {
		quant[k] = math.NaN()
	}
	if total > 0 {
		// Walk the cumulative counts once for every quantile, in order.
		order := make([]int, len(qs))
		for k := range order {
			order[k] = k
		}
		sort.Slice(order, func(a, b int) bool { return qs[order[a]] < qs[order[b]] })
		var cum int64
		k := 0
		for idx, c := range r.counts {
			if c == 0 {
				continue
			}
			cum += c
			for k < len(order) && cum >= rankOf(qs[order[k]], total) {
				quant[order[k]] = values[idx]
				k++
			}
			if k == len(order) {
				break
			}
		}
	}
	if secs > 0 {
		rps = float64(requests) / float64(secs)
	}
	if requests > 0 {
		errRate = float64(failed) / float64(requests)
	}
	return quant, rps, errRate
}

// rankOf is the 1-based rank of quantile q (0..100] among total values.
func rankOf(q float64, total int64) int64 {
	return max(1, int64(math.Ceil(q/100*float64(total))))
}

// interval is a bootstrap percentile interval of a change.
type interval struct{ low, high float64 }

// bootstrapChanges resamples both runs of ps independently, replicates
// times, and returns the interval at confidence of the change of each
// requested statistic: relative (current/baseline - 1) for latency
// quantiles and throughput, absolute (current - baseline) for the error
// rate. ok is false for a statistic no replicate could estimate. pWorse
// holds, per statistic (quantiles, throughput, error rate), the one-sided
// bootstrap p-value of "no worse": the share of replicates in which the
// current run was not worse (latency and error rate not higher,
// throughput not lower), the input of the multiple-comparison correction.
func bootstrapChanges(ps pairSample, qs []float64, opts CompareOptions) (quant []interval, rps, errRate interval, ok []bool, pWorse []float64) {
	rng := rand.New(rand.NewPCG(opts.Seed, 0x6c6f6164))
	r := &resampler{rng: rng, counts: make([]int64, len(ps.values))}
	nq := len(qs)
	diffs := make([][]float64, nq+2) // quantiles, then throughput, then error rate
	for i := 0; i < opts.Resamples; i++ {
		bq, brps, berr := r.stats(ps.base, ps.values, qs)
		cq, crps, cerr := r.stats(ps.cur, ps.values, qs)
		for k := range qs {
			if bq[k] > 0 && !math.IsNaN(cq[k]) {
				diffs[k] = append(diffs[k], cq[k]/bq[k]-1)
			}
		}
		if brps > 0 {
			diffs[nq] = append(diffs[nq], crps/brps-1)
		}
		diffs[nq+1] = append(diffs[nq+1], cerr-berr)
	}
	alpha := (1 - opts.Confidence) / 2
	ok = make([]bool, nq+2)
	pWorse = make([]float64, nq+2)
	out := make([]interval, nq+2)
	for k, d := range diffs {
		// Too few usable replicates (a baseline scope often empty) give
		// no honest interval.
		if len(d) < opts.Resamples/2 {
			pWorse[k] = 1
			continue
		}
		slices.Sort(d)
		out[k] = interval{low: sortedQuantile(d, alpha), high: sortedQuantile(d, 1-alpha)}
		ok[k] = true
		pWorse[k] = pNoWorse(d, k == nq)
	}
	return out[:nq], out[nq], out[nq+1], ok, pWorse
}

// sortedQuantile is the p-quantile (0..1) of sorted d by linear
// interpolation.
func sortedQuantile(d []float64, p float64) float64 {
	if len(d) == 1 {
		return d[0]
	}
	pos := p * float64(len(d)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(d)-1)
	frac := pos - float64(lo)
	return d[lo]*(1-frac) + d[hi]*frac
}

// pNoWorse is the one-sided p-value that the change whose bootstrap
// replicates are d is no worse: from the replicates' mean and standard
// error, z = mean/sd toward the worse side (lower for throughput, when
// lowerIsWorse), p = 1 - Φ(z). A normal approximation rather than the
// share of replicates past zero, because Holm's correction asks for
// p-values far smaller than one over the number of replicates.
func pNoWorse(d []float64, lowerIsWorse bool) float64 {
	var mean float64
	for _, v := range d {
		mean += v
	}
	mean /= float64(len(d))
	var ss float64
	for _, v := range d {
		ss += (v - mean) * (v - mean)
	}
	sd := math.Sqrt(ss / float64(max(len(d)-1, 1)))
	if lowerIsWorse {
		mean = -mean
	}
	if sd == 0 {
		if mean > 0 {
			return 0
		}
		return 1
	}
	return 0.5 * math.Erfc(mean/sd/math.Sqrt2)
}
