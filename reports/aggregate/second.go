package aggregate

import (
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
	dropped        uint64
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

// secondStage holds the latencies of a scope's newest second in dense
// histograms until a later second begins (or someone reads the scope), then
// moves them into that second's packed ones in one pass. Recording into a
// packed histogram is a binary search over its buckets, and every result
// records into six of them (two per scope); into a dense one it is an
// index. Results arrive nearly in the order they were sent, so almost all
// of them meet the stage; a late one of an earlier second records straight
// into that second's packed histograms. The stage costs two dense
// histograms per scope (2 × 24 KiB at 2 digits), whatever the run's length.
type secondStage struct {
	second         int // the staged second; meaningful while n > 0
	n              int64
	corrected, raw *hdrhistogram.Histogram
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
	if st.corrected == nil {
		st.corrected = hdrhistogram.New(latencyLowestUS, latencyHighestUS, secondDigits)
		st.raw = hdrhistogram.New(latencyLowestUS, latencyHighestUS, secondDigits)
	}
	st.second = o.second
	st.n++
	// micros clamps into the histograms' range, so these cannot fail.
	_ = st.corrected.RecordValue(o.correctedUS)
	_ = st.raw.RecordValue(o.rawUS)
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
	sec.corrected.MergeFrom(st.corrected)
	sec.raw.MergeFrom(st.raw)
	st.corrected.Reset()
	st.raw.Reset()
	st.n = 0
}

// merge adds from's figures, with from's instance indexes mapped through
// remap (nil when both share one instance table).
func (s *second) merge(from *second, remap []int) {
	s.requests += from.requests
	s.failed += from.failed
	s.dropped += from.dropped
	if from.corrected != nil {
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
	if i, ok := t.index[name]; ok {
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
