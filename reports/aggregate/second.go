package aggregate

import (
	"math/bits"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// second holds one scope's figures for one second of the run. Its
// histograms are packed (sparse), since a dense one costs 170 KB and a run
// has hours of seconds times every scope; and they keep 2 significant
// digits (within 0.8%, plenty for a chart), so a second's histogram fills at
// about 128 buckets per doubling of latency instead of 1024: that caps its
// memory early, whatever the request rate.
type second struct {
	requests, failed uint64
	// dropped counts hits that fell due in this second and were never sent.
	dropped uint64
	// held sums the raw latency of the second's requests, in nanoseconds:
	// over one second, the mean number of requests in flight.
	held           int64
	corrected, raw *hdrhistogram.PackedHistogram
	instances      []uint64 // requests by instance index
}

// secondDigits is the precision of the per-second histograms.
const secondDigits = 2

func newSecondHistogram() *hdrhistogram.PackedHistogram {
	return hdrhistogram.NewPacked(latencyLowestUS, latencyHighestUS, secondDigits)
}

// count adds o to the second's counters; its latencies go to the
// histograms through the scope's stage (or record, for a late result).
func (s *second) count(o *observation) {
	s.requests++
	s.held += int64(o.raw)
	if o.failed {
		s.failed++
	}
	if o.instance >= 0 {
		s.instances = countAt(s.instances, o.instance, 1)
	}
}

// record puts o's latencies in the second's packed histograms.
func (s *second) record(o *observation) {
	if s.corrected == nil {
		s.corrected, s.raw = newSecondHistogram(), newSecondHistogram()
	}
	// micros clamps into the histograms' range, so these cannot fail.
	_ = s.corrected.RecordValue(o.correctedUS)
	_ = s.raw.RecordValue(o.rawUS)
}

// secondStage holds the latencies of a scope's newest second until a later
// second begins (or someone reads the scope), then moves them into that
// second's packed histograms in one pass. Recording into a packed histogram
// is a binary search over its buckets and often an insertion; into the
// stage it is an index. Results arrive nearly in the order they were sent,
// so almost all of them meet the stage; a late one of an earlier second
// records straight into that second's packed histograms.
//
// The stage counts in the packed histograms' own buckets and remembers
// which it touched, so a flush costs the buckets a second used (tens),
// not the whole geometry (thousands): at the few hundred results a second
// a step sees, a scan of every bucket cost more than the results did.
type secondStage struct {
	second         int // the staged second; meaningful while n > 0
	n              int64
	corrected, raw stageCounts
}

// stageCounts counts values by the bucket of the per-second histograms'
// geometry (secondDigits, from latencyLowestUS = 1).
type stageCounts struct {
	counts []uint32 // by bucket index; nil until the first value
	// touched has bit i set when counts[i] is not 0: a flush walks the set
	// bits, in rising order, instead of every bucket.
	touched []uint64
}

// Stage geometry, the HDR one of 2 significant digits and a unit of 1µs:
// 256 sub-buckets of which the upper 128 are new in each bucket after the
// first, bucket b spanning values in steps of 2^b.
const (
	stageHalfMagnitude = 7 // log2 of the 128 sub-buckets each bucket adds
	stageHalf          = 1 << stageHalfMagnitude
)

// stageBuckets is the number of bucket indexes up to latencyHighestUS.
var stageBuckets = stageIndex(latencyHighestUS) + 1

// stageIndex is the bucket index of v (0 <= v <= latencyHighestUS): the
// one HDR computes for its 2-digit geometry, so that every value of one
// index falls in one bucket of the packed histograms.
func stageIndex(v int64) int {
	bucket := 63 - bits.LeadingZeros64(uint64(v)|(2*stageHalf-1)) - stageHalfMagnitude
	sub := int(v >> bucket)
	return (bucket+1)<<stageHalfMagnitude + sub - stageHalf
}

// stageValue is the lowest value of bucket index i, which stands for every
// value counted there.
func stageValue(i int) int64 {
	bucket := i>>stageHalfMagnitude - 1
	sub := i&(stageHalf-1) + stageHalf
	if bucket < 0 {
		return int64(i)
	}
	return int64(sub) << bucket
}

func (c *stageCounts) record(v int64) {
	if c.counts == nil {
		c.counts = make([]uint32, stageBuckets)
		c.touched = make([]uint64, (stageBuckets+63)/64)
	}
	i := stageIndex(v)
	c.counts[i]++
	c.touched[i/64] |= 1 << (i % 64)
}

// moveInto records the counts in p and empties c. In rising order, a
// bucket new to p is appended to its sorted table rather than inserted.
func (c *stageCounts) moveInto(p *hdrhistogram.PackedHistogram) {
	for w, word := range c.touched {
		for word != 0 {
			i := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			// stageValue is inside the histogram's range: this cannot fail.
			_ = p.RecordValues(stageValue(i), int64(c.counts[i]))
			c.counts[i] = 0
		}
		c.touched[w] = 0
	}
}

// stage records o's latencies, o.second >= 0, for s.
func (s *scopeStats) stage(o *observation) {
	st := &s.staged
	if st.n > 0 && o.second != st.second {
		if o.second < st.second {
			s.seconds[o.second].record(o)
			return
		}
		s.flushStage()
	}
	st.second = o.second
	st.n++
	st.corrected.record(o.correctedUS)
	st.raw.record(o.rawUS)
}

// flushStage moves the staged latencies into their second's packed
// histograms; readers call it (through Aggregate.flush) before they look.
func (s *scopeStats) flushStage() {
	st := &s.staged
	if st.n == 0 {
		return
	}
	sec := &s.seconds[st.second]
	if sec.corrected == nil {
		sec.corrected, sec.raw = newSecondHistogram(), newSecondHistogram()
	}
	st.corrected.moveInto(sec.corrected)
	st.raw.moveInto(sec.raw)
	st.n = 0
}

// merge adds from's figures, with from's instance indexes mapped through
// remap (nil when both share one instance table); its latencies only when
// latencies is set.
func (s *second) merge(from *second, remap []int, latencies bool) {
	s.requests += from.requests
	s.failed += from.failed
	s.dropped += from.dropped
	s.held += from.held
	if latencies && from.corrected != nil {
		if s.corrected == nil {
			s.corrected, s.raw = newSecondHistogram(), newSecondHistogram()
		}
		s.corrected.Merge(from.corrected)
		s.raw.Merge(from.raw)
	}
	for i, n := range from.instances {
		if n != 0 {
			s.instances = countAt(s.instances, mapIndex(remap, i), n)
		}
	}
}

// instanceTable names the instances that served requests, up to
// maxInstances; later ones share the OtherKey slot so a scale-out test with
// churning instance names cannot grow memory.
type instanceTable struct {
	names []string
	index map[string]int
}

// maxInstances bounds the instances counted apart.
const maxInstances = 64

func newInstanceTable() instanceTable {
	return instanceTable{index: make(map[string]int)}
}

// id returns the index of name, or -1 for "" (the target did not say).
func (t *instanceTable) id(name string) int {
	if name == "" {
		return -1
	}
	if len(t.names) <= 8 {
		// A few instances: a scan of names beats hashing name.
		for i, n := range t.names {
			if n == name {
				return i
			}
		}
	} else if i, ok := t.index[name]; ok {
		return i
	}
	if len(t.names) >= maxInstances {
		name = OtherKey
		if i, ok := t.index[name]; ok {
			return i
		}
	}
	t.index[name] = len(t.names)
	t.names = append(t.names, name)
	return len(t.names) - 1
}

// counts turns per-index counts into a map by instance name.
func (t *instanceTable) counts(byIndex []uint64) map[string]int {
	m := make(map[string]int)
	for i, n := range byIndex {
		if n != 0 {
			m[t.names[i]] += int(n)
		}
	}
	return m
}

func mapIndex(remap []int, i int) int {
	if remap == nil {
		return i
	}
	return remap[i]
}
