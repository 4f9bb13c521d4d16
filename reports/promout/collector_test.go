package promout

import (
	"fmt"
	"math"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"loadharness"
	"loadharness/reports/aggregate"
)

var t0 = time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)

// testResults are a small run with every shape the collector exports: two
// scenarios; setup, warm-up and main phases; failed requests and checks;
// hits dropped before a step and a skipped step; sessions kept, lost and
// unproven; corrected latencies (sent late) in most buckets and past the
// last one.
func testResults() []loadharness.Result {
	latencies := []time.Duration{
		300 * time.Microsecond, 2 * time.Millisecond, 4 * time.Millisecond, 7 * time.Millisecond,
		20 * time.Millisecond, 40 * time.Millisecond, 80 * time.Millisecond, 200 * time.Millisecond,
		400 * time.Millisecond, 800 * time.Millisecond, 2 * time.Second, 4 * time.Second, 12 * time.Second,
	}
	var out []loadharness.Result
	for i := range 300 {
		r := loadharness.Result{
			Scenario: "orders", Step: "order", User: uint32(i % 6), Code: 200,
			Sent:    t0.Add(time.Duration(i) * 20 * time.Millisecond),
			Latency: latencies[i%len(latencies)],
		}
		r.Intended = r.Sent.Add(-time.Duration(i%3) * time.Millisecond)
		switch {
		case i < 6:
			r.Phase, r.Step, r.Dataset = loadharness.PhaseSetup, "login", fmt.Sprintf("ds-%d", i)
		case i < 40:
			r.Phase = loadharness.PhaseWarmup
		case i%2 == 0:
			r.Step = "pay"
			r.Session = loadharness.SessionKept
		}
		switch {
		case i%17 == 0:
			r.Code, r.Error = 503, "503 Service Unavailable"
		case i%11 == 0:
			r.CheckFailure = `json status != "accepted"`
		}
		if r.Step == "pay" && r.User == 4 && i > 250 {
			r.Session = loadharness.SessionLost
		}
		if r.Step == "pay" && r.User == 5 && i > 280 {
			r.Session = loadharness.SessionUnproven
		}
		out = append(out, r)
	}
	for i := range 50 {
		out = append(out, loadharness.Result{
			Scenario: "browse", Step: "page", User: uint32(100 + i%3), Code: 200,
			Sent: t0.Add(time.Duration(i) * 50 * time.Millisecond), Latency: latencies[(i*5)%len(latencies)],
		})
	}
	out = append(out,
		loadharness.Result{Scenario: "orders", Intended: t0.Add(time.Second), Dropped: 7, Error: loadharness.DropGeneratorBehind},
		loadharness.Result{Scenario: "orders", Intended: t0.Add(time.Second), Phase: loadharness.PhaseWarmup, Dropped: 2, Error: loadharness.DropUsersBusy},
		loadharness.Result{Scenario: "orders", Step: "pay", Intended: t0.Add(2 * time.Second), Dropped: 1, Error: loadharness.SkipPrefix + "no ${order_id}"},
	)
	return out
}

func mustAggregate(tb testing.TB, results []loadharness.Result) *aggregate.Aggregate {
	tb.Helper()
	a := aggregate.New(t0)
	for i := range results {
		a.Add(&results[i])
	}
	return a
}

// series is one gathered series, keyed by its family and labels.
type seriesKey struct{ name, scenario, step, phase string }

// mustGather gathers e and indexes every series by name and labels, checking
// the run's labels on each.
func mustGather(tb testing.TB, e *Exporter, run Run) map[seriesKey]*dto.Metric {
	tb.Helper()
	families, err := e.registry.Gather()
	if err != nil {
		tb.Fatalf("gather: %v", err)
	}
	out := map[seriesKey]*dto.Metric{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["run_id"] != run.ID || labels["suite"] != run.Suite {
				tb.Errorf("%s%v: want run_id %q and suite %q", f.GetName(), labels, run.ID, run.Suite)
			}
			k := seriesKey{f.GetName(), labels[labelScenario], labels[labelStep], labels[labelPhase]}
			if _, dup := out[k]; dup {
				tb.Errorf("series %+v gathered twice", k)
			}
			out[k] = m
		}
	}
	return out
}

func value(m *dto.Metric) float64 {
	switch {
	case m == nil:
		return math.NaN()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	}
	return math.NaN()
}

// The collector's figures are the aggregate's: Snapshot's counts for each
// scope, sums and histograms from the results themselves.
func TestCollectorExportsTheAggregatesFigures(t *testing.T) {
	results := testResults()
	a := mustAggregate(t, results)
	run := Run{ID: "20250729T120000Z-abcd", Suite: "shop"}
	e := NewExporter(run)
	if got := mustGather(t, e, run); len(got) != 0 {
		t.Fatalf("before Watch the collector exports %d series, want none", len(got))
	}
	e.Watch(a)
	got := mustGather(t, e, run)

	steps := []struct {
		scenario, step string
		phase          loadharness.Phase
	}{
		{"orders", "login", loadharness.PhaseSetup},
		{"orders", "order", loadharness.PhaseWarmup},
		{"orders", "order", loadharness.PhaseMain},
		{"orders", "pay", loadharness.PhaseMain},
		{"browse", "page", loadharness.PhaseMain},
	}
	for _, tc := range steps {
		t.Run(tc.phase.String()+"/"+tc.scenario+"/"+tc.step, func(t *testing.T) {
			snap := a.Snapshot(loadharness.Scope{Scenario: tc.scenario, Step: tc.step, Phase: tc.phase})
			if snap.Requests == 0 {
				t.Fatal("the fixture has no request here")
			}
			at := func(name string) float64 {
				return value(got[seriesKey{name, tc.scenario, tc.step, tc.phase.String()}])
			}
			var rawSum, correctedSum time.Duration
			for _, r := range results {
				if r.Scenario == tc.scenario && r.Step == tc.step && r.Phase == tc.phase && r.Dropped == 0 {
					rawSum += r.Latency
					correctedSum += r.CorrectedLatency()
				}
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"loadtest_requests_total", at("loadtest_requests_total"), float64(snap.Requests)},
				{"loadtest_requests_failed_total", at("loadtest_requests_failed_total"), float64(snap.Failed)},
				{"loadtest_checks_failed_total", at("loadtest_checks_failed_total"), float64(snap.ChecksFailed)},
				{"loadtest_dropped_hits_total", at("loadtest_dropped_hits_total"), float64(snap.Dropped)},
				{"loadtest_requests_in_flight_seconds_total", at("loadtest_requests_in_flight_seconds_total"), rawSum.Seconds()},
			} {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
			h := got[seriesKey{"loadtest_request_duration_seconds", tc.scenario, tc.step, tc.phase.String()}].GetHistogram()
			if h == nil {
				t.Fatal("no latency histogram")
			}
			if got, want := h.GetSampleCount(), uint64(snap.Requests); got != want {
				t.Errorf("histogram count = %d, want the %d requests", got, want)
			}
			if got, want := h.GetSampleSum(), correctedSum.Seconds(); math.Abs(got-want) > 1e-9 {
				t.Errorf("histogram sum = %v, want %v (corrected latencies)", got, want)
			}
			var prev uint64
			for i, b := range h.GetBucket() {
				if got, want := b.GetUpperBound(), DefaultLatencyBuckets[i]; got != want {
					t.Fatalf("bucket %d bound = %v, want %v", i, got, want)
				}
				var want uint64
				for _, r := range results {
					if r.Scenario == tc.scenario && r.Step == tc.step && r.Phase == tc.phase && r.Dropped == 0 &&
						r.CorrectedLatency().Seconds() <= b.GetUpperBound() {
						want++
					}
				}
				if got := b.GetCumulativeCount(); got != want || got < prev {
					t.Errorf("bucket le=%v holds %d, want %d (cumulative, at least the %d below)", b.GetUpperBound(), got, want, prev)
				}
				prev = b.GetCumulativeCount()
			}
			if prev >= h.GetSampleCount() && tc.scenario == "orders" && tc.phase == loadharness.PhaseMain {
				t.Errorf("every request is at most 10s, yet the fixture has 12s latencies")
			}
		})
	}

	scenarios := []struct {
		scenario string
		phase    loadharness.Phase
	}{
		{"orders", loadharness.PhaseMain}, {"orders", loadharness.PhaseWarmup}, {"orders", loadharness.PhaseSetup},
		{"browse", loadharness.PhaseMain},
	}
	for _, tc := range scenarios {
		t.Run(tc.phase.String()+"/"+tc.scenario, func(t *testing.T) {
			snap := a.Snapshot(loadharness.Scope{Scenario: tc.scenario, Phase: tc.phase})
			phase := tc.phase.String()
			var requests, dropped float64
			for k, m := range got {
				if k.scenario != tc.scenario || k.phase != phase {
					continue
				}
				switch k.name {
				case "loadtest_requests_total":
					requests += value(m)
				case "loadtest_dropped_hits_total":
					dropped += value(m)
				}
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{
				{"sum of requests over steps", requests, float64(snap.Requests)},
				{"sum of dropped hits over steps and none", dropped, float64(snap.Dropped)},
				{"sessions checked", value(got[seriesKey{"loadtest_sessions_checked_total", tc.scenario, "", phase}]), float64(snap.SessionsChecked)},
				{"sessions lost", value(got[seriesKey{"loadtest_sessions_lost", tc.scenario, "", phase}]), float64(snap.SessionsLost)},
			} {
				if c.got != c.want {
					t.Errorf("%s = %v, Snapshot says %v", c.name, c.got, c.want)
				}
			}
		})
	}
	// The fixture shows what it is meant to.
	main := a.Snapshot(loadharness.Scope{Scenario: "orders"})
	if main.SessionsLost == 0 || main.SessionsChecked == 0 || main.Dropped == 0 || main.Failed == 0 || main.ChecksFailed == 0 {
		t.Errorf("the fixture's main phase lacks a shape: %+v", main)
	}
	if got := value(got[seriesKey{"loadtest_dropped_hits_total", "orders", "", "main"}]); got != 7 {
		t.Errorf("hits dropped before a step = %v, want 7, under no step label", got)
	}
}

// Figures read while results keep coming never fall: each series is a
// counter a rate() can be taken of (loadtest_sessions_lost aside, a gauge).
func TestCollectorCountersNeverFallWhileResultsCome(t *testing.T) {
	results := testResults()
	a := aggregate.New(t0)
	run := Run{ID: "r", Suite: "s"}
	e := NewExporter(run)
	e.Watch(a)
	last := map[seriesKey]float64{}
	for i := range results {
		a.Add(&results[i])
		if i%25 != 0 && i != len(results)-1 {
			continue
		}
		for k, m := range mustGather(t, e, run) {
			v := value(m)
			if h := m.GetHistogram(); h != nil {
				v = float64(h.GetSampleCount())
			}
			if k.name != "loadtest_sessions_lost" && v < last[k] {
				t.Errorf("after %d results %+v fell from %v to %v", i+1, k, last[k], v)
			}
			last[k] = v
		}
	}
}
