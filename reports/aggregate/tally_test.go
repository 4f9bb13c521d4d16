package aggregate_test

import (
	"slices"
	"testing"
	"time"

	"loadharness"
	"loadharness/reports/aggregate"
	"loadharness/reports/internal/fixture"
)

var tallyBounds = []time.Duration{
	time.Millisecond, 5 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, time.Second, 2500 * time.Millisecond, 10 * time.Second,
}

// A tally says what Snapshot says of the same scope, and counts latencies
// at its bounds as the results do, within the histogram's precision.
func TestTallyAgreesWithSnapshotAndTheResults(t *testing.T) {
	results := syntheticResults(3, 20000)
	// Some dropped hits before a step and a skipped step, in a setup phase
	// too, so that every count has something to say.
	for i := range 40 {
		r := loadharness.Result{Scenario: "browse", Intended: t0.Add(time.Duration(i) * time.Second), Dropped: 3, Error: loadharness.DropGeneratorBehind}
		if i%4 == 0 {
			r.Step, r.Dropped, r.Error = "map", 1, loadharness.SkipPrefix+"no ${id}"
		}
		if i%5 == 0 {
			r.Phase = loadharness.PhaseSetup
		}
		results = append(results, r)
	}
	a := fixture.MustAggregate(t, t0, results)
	var scopes []loadharness.Scope
	for _, p := range loadharness.Phases {
		for _, sc := range a.Scenarios() {
			scopes = append(scopes, loadharness.Scope{Scenario: sc, Phase: p})
			for _, step := range a.PhaseSteps(sc, p) {
				scopes = append(scopes, loadharness.Scope{Scenario: sc, Step: step, Phase: p})
			}
		}
	}
	if len(scopes) < 8 {
		t.Fatalf("only %d scopes: the fixture lacks scenarios, steps or phases", len(scopes))
	}
	for _, scope := range scopes {
		got, snap := a.Tally(scope, tallyBounds), a.Snapshot(scope)
		t.Run(scope.Phase.String()+"/"+scope.Scenario+"/"+scope.Step, func(t *testing.T) {
			for _, c := range []struct {
				name      string
				got, want int
			}{
				{"requests", int(got.Requests), snap.Requests},
				{"failed", int(got.Failed), snap.Failed},
				{"dropped", int(got.Dropped), snap.Dropped},
				{"checks failed", int(got.ChecksFailed), snap.ChecksFailed},
				{"sessions checked", got.SessionsChecked, snap.SessionsChecked},
				{"sessions lost", got.SessionsLost, snap.SessionsLost},
			} {
				if c.got != c.want {
					t.Errorf("%s = %d, Snapshot says %d", c.name, c.got, c.want)
				}
			}
			var want struct {
				sum, rawSum time.Duration
				lo, hi      []uint64
				before      uint64
			}
			want.lo, want.hi = make([]uint64, len(tallyBounds)), make([]uint64, len(tallyBounds))
			for i := range results {
				r := &results[i]
				if r.Phase != scope.Phase || r.Scenario != scope.Scenario {
					continue
				}
				if r.Dropped > 0 {
					if scope.Step == "" && r.Step == "" {
						want.before += uint64(r.Dropped)
					}
					continue
				}
				if scope.Step != "" && r.Step != scope.Step {
					continue
				}
				want.sum += max(r.CorrectedLatency(), 0)
				want.rawSum += max(r.Latency, 0)
				for j, b := range tallyBounds {
					// The bucket that holds the bound counts below it:
					// within 0.1% and a microsecond's rounding.
					if d := r.CorrectedLatency(); d <= b-time.Microsecond {
						want.lo[j]++
					} else if d <= b+b/1000+time.Microsecond {
						want.hi[j]++
					}
				}
			}
			for j := range want.hi {
				want.hi[j] += want.lo[j]
			}
			if got.LatencySum != want.sum || got.RawLatencySum != want.rawSum {
				t.Errorf("latency sums = %v, %v; the results sum to %v, %v", got.LatencySum, got.RawLatencySum, want.sum, want.rawSum)
			}
			if got.DroppedBeforeStep != want.before {
				t.Errorf("dropped before a step = %d, the results say %d", got.DroppedBeforeStep, want.before)
			}
			if !slices.IsSorted(got.LatencyAtMost) {
				t.Errorf("latency counts %v are not cumulative", got.LatencyAtMost)
			}
			for j, b := range tallyBounds {
				if n := got.LatencyAtMost[j]; n < want.lo[j] || n > want.hi[j] {
					t.Errorf("latencies at most %v = %d, want %d..%d", b, n, want.lo[j], want.hi[j])
				}
			}
		})
	}
}

func TestTallyOfNothing(t *testing.T) {
	a := aggregate.New(t0)
	for _, scope := range []loadharness.Scope{{}, {Scenario: "none"}, {Scenario: "none", Step: "x", Phase: loadharness.PhaseWarmup}} {
		got := a.Tally(scope, tallyBounds)
		if got.Requests != 0 || got.Dropped != 0 || len(got.LatencyAtMost) != len(tallyBounds) || slices.Max(got.LatencyAtMost) != 0 {
			t.Errorf("Tally(%+v) = %+v, want zero counts at every bound", scope, got)
		}
	}
	if got := a.PhaseSteps("none", loadharness.PhaseSetup); got != nil {
		t.Errorf("PhaseSteps of nothing = %v, want nil", got)
	}
}

// A live exporter asks every few seconds while the load runs: once the
// scratch histogram is warm, a step's tally allocates only its counts.
func TestTallyOfAStepAllocatesOnlyItsCounts(t *testing.T) {
	a := fixture.MustAggregate(t, t0, syntheticResults(1, 1<<14))
	scope := loadharness.Scope{Scenario: "browse", Step: "map"}
	a.Tally(scope, tallyBounds)
	if allocs := testing.AllocsPerRun(50, func() { a.Tally(scope, tallyBounds) }); allocs > 1 {
		t.Errorf("Tally allocates %v times, want at most 1 (its counts)", allocs)
	}
}

func BenchmarkTallyStep(b *testing.B) {
	a := fixture.MustAggregate(b, t0, syntheticResults(1, 1<<16))
	scope := loadharness.Scope{Scenario: "browse", Step: "map"}
	b.ReportAllocs()
	for b.Loop() {
		a.Tally(scope, tallyBounds)
	}
}
