package aggregate_test

import (
	"fmt"
	"math"
	"reflect"
	"sync"
	"testing"
	"time"

	"loadharness"
	"loadharness/reports/aggregate"
	"loadharness/reports/internal/fixture"
)

var t0 = time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)

// within reports whether got is within rel (relative) of want.
func within(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Abs(want)
}

// hdrPrecision is the relative error 3 significant digits allow, and
// secondPrecision the per-second histograms' 2 digits.
const (
	hdrPrecision    = 0.001
	secondPrecision = 0.008
)

func TestAggregateQuantilesOfKnownDistribution(t *testing.T) {
	// 1ms, 2ms, ... 10000ms once each, in a shuffled order: the k-th
	// percentile is k*100ms.
	var results []loadharness.Result
	for i := range 10000 {
		ms := 1 + (i*7919)%10000 // 7919 is prime to 10000: a permutation
		results = append(results, loadharness.Result{
			Scenario: "s", Step: "x", Code: 200,
			Sent:    t0.Add(time.Duration(i) * time.Millisecond),
			Latency: time.Duration(ms) * time.Millisecond,
		})
	}
	got := fixture.MustAggregate(t, t0, results).Snapshot(loadharness.Scope{Scenario: "s"})
	tests := []struct {
		name      string
		got, want float64
	}{
		{"p50", got.Latency.P50, 5000},
		{"p90", got.Latency.P90, 9000},
		{"p95", got.Latency.P95, 9500},
		{"p99", got.Latency.P99, 9900},
		{"raw p99", got.RawLatency.P99, 9900},
	}
	for _, tt := range tests {
		if !within(tt.got, tt.want, hdrPrecision) {
			t.Errorf("%s = %vms, want %vms within %v", tt.name, tt.got, tt.want, hdrPrecision)
		}
	}
	// Max and mean are exact, not histogram buckets.
	if got, want := got.Latency.Max, 10000.0; got != want {
		t.Errorf("max = %v, want %v", got, want)
	}
	if got, want := got.Latency.Mean, 5000.5; got != want {
		t.Errorf("mean = %v, want %v", got, want)
	}
	if got, want := got.Requests, 10000; got != want {
		t.Errorf("requests = %d, want %d", got, want)
	}
}

func TestAggregateCorrectedLatency(t *testing.T) {
	// Sent 300ms after it was meant to be: the user waited 300ms more.
	r := loadharness.Result{
		Scenario: "s", Step: "x", Code: 200,
		Intended: t0, Sent: t0.Add(300 * time.Millisecond), Latency: 100 * time.Millisecond,
	}
	got := fixture.MustAggregate(t, t0, []loadharness.Result{r}).Snapshot(loadharness.Scope{})
	if !within(got.Latency.P50, 400, hdrPrecision) || got.Latency.Max != 400 {
		t.Errorf("corrected p50, max = %v, %v, want 400, 400", got.Latency.P50, got.Latency.Max)
	}
	if !within(got.RawLatency.P50, 100, hdrPrecision) || got.RawLatency.Max != 100 {
		t.Errorf("raw p50, max = %v, %v, want 100, 100", got.RawLatency.P50, got.RawLatency.Max)
	}
}

func TestAggregateSeconds(t *testing.T) {
	at := func(offset time.Duration, latency time.Duration, code uint16, instance string) loadharness.Result {
		return loadharness.Result{Scenario: "s", Step: "x", Sent: t0.Add(offset), Latency: latency, Code: code, Instance: instance}
	}
	results := []loadharness.Result{
		at(-time.Second, 10*time.Millisecond, 200, "a"), // before the start: first bucket
		at(0, 10*time.Millisecond, 200, "a"),
		at(999*time.Millisecond, 30*time.Millisecond, 500, "b"),
		at(time.Second, 50*time.Millisecond, 200, "b"), // exactly 1s: second bucket
		at(3500*time.Millisecond, 70*time.Millisecond, 200, ""),
		at(1500*time.Millisecond, 90*time.Millisecond, 200, "a"), // out of order
	}
	got := fixture.MustAggregate(t, t0, results).Seconds(loadharness.Scope{Scenario: "s", Step: "x"})
	want := []struct {
		requests, failed int
		max              float64
		instances        map[string]int
	}{
		{3, 1, 30, map[string]int{"a": 2, "b": 1}},
		{2, 0, 90, map[string]int{"a": 1, "b": 1}},
		{0, 0, 0, map[string]int{}},
		{1, 0, 70, map[string]int{}},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d seconds, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Second != i || !g.Start.Equal(t0.Add(time.Duration(i)*time.Second)) {
			t.Errorf("second %d is numbered %d at %v", i, g.Second, g.Start)
		}
		if g.Requests != w.requests || g.Failed != w.failed {
			t.Errorf("second %d: requests, failed = %d, %d, want %d, %d", i, g.Requests, g.Failed, w.requests, w.failed)
		}
		if !within(g.Max, w.max, secondPrecision) {
			t.Errorf("second %d: max = %v, want %v", i, g.Max, w.max)
		}
		if !reflect.DeepEqual(g.Instances, w.instances) {
			t.Errorf("second %d: instances = %v, want %v", i, g.Instances, w.instances)
		}
	}
	if !within(got[1].P50, 50, secondPrecision) || !within(got[1].P99, 90, secondPrecision) {
		t.Errorf("second 1: p50, p99 = %v, %v, want 50, 90", got[1].P50, got[1].P99)
	}
	if got[2].P50 != 0 {
		t.Errorf("empty second p50 = %v, want 0", got[2].P50)
	}
}

func TestAggregateSessionsLostCountsDistinctUsers(t *testing.T) {
	// Ten users checked many times; users 3 and 4 see each other's data set
	// on several requests: exactly two sessions are lost.
	var results []loadharness.Result
	for round := range 20 {
		for user := uint32(1); user <= 10; user++ {
			r := loadharness.Result{
				Scenario: "s", Step: "map", User: user, Code: 200,
				Sent: t0.Add(time.Duration(round) * time.Second), Latency: time.Millisecond,
				Session: loadharness.SessionKept,
			}
			if round >= 5 && (user == 3 || user == 4) {
				r.Session = loadharness.SessionLost
			}
			if round == 19 && user == 4 {
				r.Session = loadharness.SessionKept // a later good answer does not bring it back
			}
			results = append(results, r)
		}
	}
	results = append(results, loadharness.Result{Scenario: "s", Step: "upload", User: 11, Code: 200, Sent: t0})
	a := fixture.MustAggregate(t, t0, results)
	got := a.Snapshot(loadharness.Scope{Scenario: "s"})
	if got.SessionsLost != 2 || got.SessionsChecked != 10 {
		t.Errorf("sessions lost, checked = %d, %d, want 2, 10", got.SessionsLost, got.SessionsChecked)
	}
	if v, ok := a.Measure(MustGate(t, "sessions_lost == 0").Metric, loadharness.Scope{}); !ok || v != 2 {
		t.Errorf("Measure(sessions_lost) = %v, %v, want 2, true", v, ok)
	}
}

// MustGate parses a gate or stops the test.
func MustGate(tb testing.TB, text string) loadharness.Gate {
	tb.Helper()
	g, err := loadharness.ParseGate(text)
	if err != nil {
		tb.Fatalf("ParseGate(%q): %v", text, err)
	}
	return g
}

// everyScope lists the scopes of a: the run, each scenario, each step in
// each scenario and each step across scenarios.
func everyScope(a *aggregate.Aggregate) []loadharness.Scope {
	scopes := []loadharness.Scope{{}}
	for _, sc := range a.Scenarios() {
		scopes = append(scopes, loadharness.Scope{Scenario: sc})
		for _, st := range a.Steps(sc) {
			scopes = append(scopes, loadharness.Scope{Scenario: sc, Step: st})
		}
	}
	for _, st := range a.Steps("") {
		scopes = append(scopes, loadharness.Scope{Step: st})
	}
	return scopes
}

func TestAggregateMergeEqualsOneAggregate(t *testing.T) {
	results := fixture.Results()
	var left, right []loadharness.Result
	for i, r := range results {
		if i%3 == 0 {
			right = append(right, r)
		} else {
			left = append(left, r)
		}
	}
	want := fixture.MustAggregate(t, fixture.Start, results)
	got := fixture.MustAggregate(t, fixture.Start, left)
	if err := got.Merge(fixture.MustAggregate(t, fixture.Start, right)); err != nil {
		t.Fatal(err)
	}
	if g, w := got.Scenarios(), want.Scenarios(); !reflect.DeepEqual(g, w) {
		t.Errorf("scenarios = %v, want %v", g, w)
	}
	for _, scope := range everyScope(want) {
		if g, w := got.Snapshot(scope), want.Snapshot(scope); !reflect.DeepEqual(g, w) {
			t.Errorf("snapshot of %+v after merge:\ngot  %+v\nwant %+v", scope, g, w)
		}
		if g, w := got.Seconds(scope), want.Seconds(scope); !reflect.DeepEqual(g, w) {
			t.Errorf("seconds of %+v differ after merge", scope)
		}
	}
}

func TestAggregateMergeShiftsSeconds(t *testing.T) {
	r := loadharness.Result{Scenario: "s", Step: "x", Code: 200, Sent: t0.Add(5 * time.Second), Latency: time.Millisecond}
	early := fixture.MustAggregate(t, t0, nil)
	late := fixture.MustAggregate(t, t0.Add(3*time.Second), []loadharness.Result{r})
	if err := early.Merge(late); err != nil {
		t.Fatal(err)
	}
	// Second 2 of the late shard is second 5 of the run.
	secs := early.Seconds(loadharness.Scope{})
	if len(secs) != 6 || secs[5].Requests != 1 {
		t.Errorf("after merge the request is in %+v, want second 5", secs)
	}
}

func TestAggregateMergeRefuses(t *testing.T) {
	a := aggregate.New(t0)
	if err := a.Merge(a); err == nil {
		t.Error("Merge(self) succeeded")
	}
	if err := a.Merge(nil); err == nil {
		t.Error("Merge(nil) succeeded")
	}
}

func TestAggregateMeasure(t *testing.T) {
	// Four requests on one step: 100, 200, 300 and 400ms (raw 100ms less),
	// one 503, one failed check, one lost session, over one second.
	mk := func(i int, code uint16, check string, session loadharness.SessionOutcome) loadharness.Result {
		sent := t0.Add(time.Duration(i) * 200 * time.Millisecond)
		return loadharness.Result{
			Scenario: "s", Step: "map", User: uint32(i), Code: code,
			Intended: sent.Add(-100 * time.Millisecond), Sent: sent,
			Latency:      time.Duration(i) * 100 * time.Millisecond,
			CheckFailure: check, Session: session,
		}
	}
	a := fixture.MustAggregate(t, t0, []loadharness.Result{
		mk(0, 200, "", loadharness.SessionKept),
		mk(1, 200, "", loadharness.SessionKept),
		mk(2, 503, "status 503 != 200", loadharness.SessionUnchecked),
		mk(3, 200, "", loadharness.SessionLost),
	})
	// Window: first Sent t0, last End t0+600ms+300ms.
	const window = 0.9
	tests := []struct {
		gate  string
		scope loadharness.Scope
		want  float64
		exact bool
	}{
		{"p50 < 1s", loadharness.Scope{Scenario: "s"}, 200, false},
		{"p100 < 1s", loadharness.Scope{Scenario: "s"}, 400, true},
		{"median < 1s", loadharness.Scope{Scenario: "s", Step: "map"}, 200, false},
		{"raw_p50 < 1s", loadharness.Scope{Scenario: "s"}, 100, false},
		{"min < 1s", loadharness.Scope{Scenario: "s"}, 100, true},
		{"raw_min < 1s", loadharness.Scope{Scenario: "s"}, 0, true},
		{"max < 1s", loadharness.Scope{}, 400, true},
		{"raw_max < 1s", loadharness.Scope{}, 300, true},
		{"mean < 1s", loadharness.Scope{}, 250, true},
		{"raw_mean < 1s", loadharness.Scope{Step: "map"}, 150, true},
		{"error_rate < 1%", loadharness.Scope{Scenario: "s"}, 0.25, true},
		{"availability > 99%", loadharness.Scope{Scenario: "s"}, 0.75, true},
		{"check_rate > 99%", loadharness.Scope{Scenario: "s"}, 0.75, true},
		{"throughput > 1/s", loadharness.Scope{Scenario: "s"}, 4 / window, true},
		{"requests > 1", loadharness.Scope{}, 4, true},
		{"errors == 0", loadharness.Scope{}, 1, true},
		{"sessions_checked > 0", loadharness.Scope{}, 3, true},
		{"sessions_lost == 0", loadharness.Scope{}, 1, true},
		{"checks_failed == 0", loadharness.Scope{}, 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.gate, func(t *testing.T) {
			got, ok := a.Measure(MustGate(t, tt.gate).Metric, tt.scope)
			if !ok {
				t.Fatalf("Measure(%s) is not ok", tt.gate)
			}
			if tt.exact && got != tt.want || !tt.exact && !within(got, tt.want, hdrPrecision) {
				t.Errorf("Measure(%s, %+v) = %v, want %v", tt.gate, tt.scope, got, tt.want)
			}
		})
	}
}

func TestAggregateMeasureMissing(t *testing.T) {
	a := fixture.MustAggregate(t, t0, []loadharness.Result{{Scenario: "s", Step: "map", Code: 200, Sent: t0}})
	tests := []struct {
		gate  string
		scope loadharness.Scope
	}{
		{"p95 < 1s", loadharness.Scope{Scenario: "other"}},
		{"p95 < 1s", loadharness.Scope{Scenario: "s", Step: "upload"}},
		{"p95 < 1s", loadharness.Scope{Step: "upload"}},
		{"serialization_errors == 0", loadharness.Scope{}},
		{"target:redis_errors_total == 0", loadharness.Scope{}},
	}
	for _, tt := range tests {
		t.Run(tt.gate, func(t *testing.T) {
			if v, ok := a.Measure(MustGate(t, tt.gate).Metric, tt.scope); ok {
				t.Errorf("Measure(%s, %+v) = %v, true, want not ok", tt.gate, tt.scope, v)
			}
		})
	}
	if _, ok := aggregate.New(t0).Measure(MustGate(t, "requests > 0").Metric, loadharness.Scope{}); ok {
		t.Error("an empty aggregate measures requests")
	}
}

func TestAggregateStepAcrossScenarios(t *testing.T) {
	a := fixture.MustAggregate(t, fixture.Start, fixture.Results())
	browse := a.Snapshot(loadharness.Scope{Scenario: "browse", Step: "map"})
	failover := a.Snapshot(loadharness.Scope{Scenario: "failover", Step: "map"})
	both := a.Snapshot(loadharness.Scope{Step: "map"})
	if got, want := both.Requests, browse.Requests+failover.Requests; got != want {
		t.Errorf("map across scenarios: %d requests, want %d", got, want)
	}
	if got, want := both.SessionsLost, browse.SessionsLost+failover.SessionsLost; got != want {
		t.Errorf("map across scenarios: %d sessions lost, want %d", got, want)
	}
	if got, want := a.Steps(""), []string{"upload", "map"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Steps(\"\") = %v, want %v", got, want)
	}
}

func TestAggregateCaps(t *testing.T) {
	a := aggregate.New(t0)
	for i := range 120 {
		a.Add(&loadharness.Result{
			Scenario: "s", Step: "x", Sent: t0, Code: 0,
			Error:        fmt.Sprintf("dial tcp 127.0.0.1:%d: connection refused", 10000+i),
			CheckFailure: fmt.Sprintf("check %d", i),
			Instance:     fmt.Sprintf("instance-%d", i),
		})
	}
	got := a.Snapshot(loadharness.Scope{})
	if n := len(got.Errors); n != 51 || got.Errors[aggregate.OtherKey] != 70 {
		t.Errorf("errors: %d messages, %d other; want 51 and 70", n, got.Errors[aggregate.OtherKey])
	}
	if n := len(got.CheckFailures); n != 51 || got.CheckFailures[aggregate.OtherKey] != 70 {
		t.Errorf("check failures: %d texts, %d other; want 51 and 70", n, got.CheckFailures[aggregate.OtherKey])
	}
	if n := len(got.Instances); n != 65 || got.Instances[aggregate.OtherKey] != 56 {
		t.Errorf("instances: %d names, %d other; want 65 and 56", n, got.Instances[aggregate.OtherKey])
	}
	if got, want := got.CodeClasses(), map[string]int{"0xx": 120}; !reflect.DeepEqual(got, want) {
		t.Errorf("code classes = %v, want %v", got, want)
	}
}

func TestAggregateSnapshotFigures(t *testing.T) {
	a := fixture.MustAggregate(t, fixture.Start, fixture.Results())
	got := a.Snapshot(loadharness.Scope{Scenario: "failover"})
	if got.Requests != 200 || got.Failed != 10 || got.SuccessRatio != 0.95 {
		t.Errorf("requests, failed, success = %d, %d, %v, want 200, 10, 0.95", got.Requests, got.Failed, got.SuccessRatio)
	}
	if got.BytesIn != 200*128 || got.BytesOut != 200*65536 {
		t.Errorf("bytes in, out = %d, %d", got.BytesIn, got.BytesOut)
	}
	wantFirst, wantLast := fixture.Start.Add(2*time.Second), time.Time{}
	for _, r := range fixture.Results() {
		if r.Scenario == "failover" && r.End().After(wantLast) {
			wantLast = r.End()
		}
	}
	if !got.First.Equal(wantFirst) || !got.Last.Equal(wantLast) {
		t.Errorf("window = %v..%v, want %v..%v", got.First, got.Last, wantFirst, wantLast)
	}
	if want := 200 / wantLast.Sub(wantFirst).Seconds(); got.Throughput != want {
		t.Errorf("throughput = %v, want %v", got.Throughput, want)
	}
	if got, want := got.Codes, map[string]int{"200": 190, "502": 10}; !reflect.DeepEqual(got, want) {
		t.Errorf("codes = %v, want %v", got, want)
	}
	if got, want := got.CodeClasses(), map[string]int{"2xx": 190, "5xx": 10}; !reflect.DeepEqual(got, want) {
		t.Errorf("code classes = %v, want %v", got, want)
	}
	if empty := a.Snapshot(loadharness.Scope{Scenario: "nope"}); empty.Requests != 0 || empty.Codes == nil {
		t.Errorf("snapshot of an unknown scope = %+v, want zero figures with empty maps", empty)
	}
}

func TestAggregateConcurrentReads(t *testing.T) {
	// Add runs in one goroutine while another reads for live progress; run
	// with -race.
	results := fixture.Results()
	a := aggregate.New(fixture.Start)
	p95 := MustGate(t, "p95 < 2s").Metric
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			a.Measure(p95, loadharness.Scope{Scenario: "browse"})
			a.Snapshot(loadharness.Scope{Step: "map"})
			a.Seconds(loadharness.Scope{})
			a.Scenarios()
		}
	})
	for i := range results {
		a.Add(&results[i])
	}
	close(done)
	wg.Wait()
	if got, want := a.Snapshot(loadharness.Scope{}).Requests, len(results); got != want {
		t.Errorf("requests = %d, want %d", got, want)
	}
}

// TestSecondCountsAreTheSecondsCounters checks the cheap per-second read
// against the full one, for a step, a scenario and the run: the same
// counters, and no latencies.
func TestSecondCountsAreTheSecondsCounters(t *testing.T) {
	a := fixture.MustAggregate(t, t0, syntheticResults(3, 5000))
	for _, scope := range []loadharness.Scope{{}, {Scenario: "browse"}, {Scenario: "browse", Step: "map"}} {
		full, counts := a.Seconds(scope), a.SecondCounts(scope)
		if len(full) == 0 || len(full) != len(counts) {
			t.Fatalf("%v: %d seconds, %d second counts", scope, len(full), len(counts))
		}
		for i := range full {
			f, c := full[i], counts[i]
			if f.Requests != c.Requests || f.Failed != c.Failed || f.Dropped != c.Dropped || !reflect.DeepEqual(f.Instances, c.Instances) {
				t.Errorf("%v second %d: counts %+v, want those of %+v", scope, i, c, f)
			}
			if c.P50 != 0 || c.P99 != 0 || c.Max != 0 {
				t.Errorf("%v second %d: latencies %v/%v/%v, want none", scope, i, c.P50, c.P99, c.Max)
			}
			if f.Requests > 0 && f.P50 == 0 {
				t.Errorf("%v second %d: %d requests and no p50", scope, i, f.Requests)
			}
		}
	}
}

// TestInFlightIsLittlesLaw checks the per-second requests in flight: eight
// requests of 250ms sent in one second held two users busy on average, a
// second with one request of 1.5s holds 1.5, and the scenario's view adds
// its steps'.
func TestInFlightIsLittlesLaw(t *testing.T) {
	a := aggregate.New(t0)
	for i := range 8 {
		step := []string{"a", "b"}[i%2]
		a.Add(&loadharness.Result{Scenario: "s", Step: step, Code: 200, Sent: t0.Add(time.Duration(i) * 100 * time.Millisecond), Latency: 250 * time.Millisecond})
	}
	a.Add(&loadharness.Result{Scenario: "s", Step: "a", Code: 200, Sent: t0.Add(1200 * time.Millisecond), Latency: 1500 * time.Millisecond})
	tests := []struct {
		scope loadharness.Scope
		want  []float64
	}{
		{loadharness.Scope{Scenario: "s"}, []float64{2, 1.5}},
		{loadharness.Scope{Scenario: "s", Step: "a"}, []float64{1, 1.5}},
		{loadharness.Scope{}, []float64{2, 1.5}},
	}
	for _, tt := range tests {
		for _, read := range []func(loadharness.Scope) []aggregate.SecondStats{a.Seconds, a.SecondCounts} {
			secs := read(tt.scope)
			if len(secs) != len(tt.want) {
				t.Fatalf("%v: %d seconds, want %d", tt.scope, len(secs), len(tt.want))
			}
			for i, want := range tt.want {
				if got := secs[i].InFlight; math.Abs(got-want) > 1e-9 {
					t.Errorf("%v second %d: %v in flight, want %v", tt.scope, i, got, want)
				}
			}
		}
	}
}
