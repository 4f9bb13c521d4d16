package aggregate

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"loadharness"
)

// buckets lists a packed histogram's buckets.
func buckets(h *hdrhistogram.PackedHistogram) [][2]int64 {
	var out [][2]int64
	if h != nil {
		h.ForEachBucket(func(v, c int64) bool {
			out = append(out, [2]int64{v, c})
			return true
		})
	}
	return out
}

// TestStagedSecondsEqualDirectRecording feeds results as a run does (sent
// times rising, some arriving late for an earlier second) with reads in
// between, and expects each second's histograms to hold exactly what
// recording every result straight into them would.
func TestStagedSecondsEqualDirectRecording(t *testing.T) {
	start := time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		late      int // one result in late arrives for an earlier second
		readEvery int // a reader looks every readEvery results (0: never)
	}{
		{"in order", 0, 0},
		{"late results", 10, 0},
		{"reads mid-second", 0, 777},
		{"late results and reads", 7, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 9))
			a := New(start)
			var wantCorrected, wantRaw []*hdrhistogram.PackedHistogram
			const n = 20_000
			for i := range n {
				sent := start.Add(time.Duration(i) * 6 * time.Second / n)
				if tt.late > 0 && i%tt.late == 0 {
					sent = sent.Add(-time.Duration(rng.IntN(2000)) * time.Millisecond)
				}
				r := loadharness.Result{Scenario: "s", Step: "x", Sent: sent, Intended: sent.Add(-time.Duration(rng.IntN(3)) * time.Millisecond),
					Latency: time.Duration(rng.IntN(300_000)) * time.Microsecond, Code: 200}
				a.Add(&r)
				sec := secondOf(sent.Sub(start))
				for len(wantCorrected) <= sec {
					wantCorrected, wantRaw = append(wantCorrected, newSecondHistogram()), append(wantRaw, newSecondHistogram())
				}
				_ = wantCorrected[sec].RecordValue(micros(r.CorrectedLatency()))
				_ = wantRaw[sec].RecordValue(micros(r.Latency))
				if tt.readEvery > 0 && i%tt.readEvery == 0 {
					a.Seconds(loadharness.Scope{Scenario: "s"})
				}
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			for _, s := range []*scopeStats{a.lookup(loadharness.Scope{}, secondLatencies), a.lookup(loadharness.Scope{Scenario: "s"}, secondLatencies), a.lookup(loadharness.Scope{Scenario: "s", Step: "x"}, secondLatencies)} {
				if got, want := len(s.seconds), len(wantCorrected); got != want {
					t.Fatalf("%d seconds, want %d", got, want)
				}
				for i := range s.seconds {
					if got, want := buckets(s.seconds[i].corrected), buckets(wantCorrected[i]); !slices.Equal(got, want) {
						t.Errorf("second %d corrected: %d buckets, want %d", i, len(got), len(want))
					}
					if got, want := buckets(s.seconds[i].raw), buckets(wantRaw[i]); !slices.Equal(got, want) {
						t.Errorf("second %d raw: %d buckets, want %d", i, len(got), len(want))
					}
				}
			}
		})
	}
}

// TestStageBucketsAreThePackedOnes checks that every value a stage index
// stands for lands in the packed histogram's bucket of the value itself:
// otherwise a flush would move counts between buckets.
func TestStageBucketsAreThePackedOnes(t *testing.T) {
	values := []int64{0, 1, 2, 127, 128, 255, 256, 257, 511, 512, 1000, 1023, 1024, 99_999, 1 << 20, latencyHighestUS - 1, latencyHighestUS}
	for range 2000 {
		values = append(values, rand.Int64N(latencyHighestUS+1))
	}
	for _, v := range values {
		checkStageBucket(t, v)
	}
}

func FuzzStageBucket(f *testing.F) {
	f.Add(int64(0))
	f.Add(int64(255))
	f.Add(latencyHighestUS)
	f.Fuzz(func(t *testing.T, v int64) {
		if v < 0 || v > latencyHighestUS {
			t.Skip()
		}
		checkStageBucket(t, v)
	})
}

func checkStageBucket(t *testing.T, v int64) {
	t.Helper()
	i := stageIndex(v)
	if i < 0 || i >= stageBuckets {
		t.Fatalf("stageIndex(%d) = %d, outside [0, %d)", v, i, stageBuckets)
	}
	lowest := stageValue(i)
	if lowest > v || stageIndex(lowest) != i {
		t.Fatalf("value %d: index %d stands for %d, which is above it or of another index (%d)", v, i, lowest, stageIndex(lowest))
	}
	direct, staged := newSecondHistogram(), newSecondHistogram()
	_ = direct.RecordValue(v)
	_ = staged.RecordValue(lowest)
	if got, want := buckets(staged), buckets(direct); !slices.Equal(got, want) {
		t.Fatalf("value %d: staged as %d lands in %v, want %v", v, lowest, got, want)
	}
}
