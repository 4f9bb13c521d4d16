package rundir

import (
	"fmt"
	"loadharness"
	"loadharness/reports"
	"loadharness/reports/aggregate"
	"slices"
	"strings"
)

// mergeRuns combines the inputs' summaries around the merged aggregate.
func mergeRuns(runs []*loadedRun, agg *aggregate.Aggregate) reports.ReportInput {
	var s reports.Summary
	var in reports.ReportInput
	asked := map[string]float64{}
	recorded := recordedValues{}
	type gateKey struct{ scenario, gate string }
	var gateOrder []gateKey
	gates := map[gateKey]loadharness.Gate{}
	var suites, providers, runIDs []string
	wasInvalid := false
	var aborted []string
	s.Complete = true
	for _, r := range runs {
		if r.env != nil && in.Environment.IsZero() {
			in.Environment = *r.env
		}
		if len(r.target) > 0 {
			if in.Target == nil {
				in.Target = r.target
			} else {
				s.Warnings = appendNew(s.Warnings, "target metrics are charted from the first input that has them; shards scrape the same target")
			}
		}
		if r.summary == nil {
			if r.unfinished {
				// Cut short from outside, as an interruption is: its figures
				// cover only what ran, and it cannot pass.
				s.Complete, s.Interrupted = false, true
				s.Warnings = appendNew(s.Warnings, fmt.Sprintf("%s has no %s: the run ended before it wrote one (it was killed, or it crashed), so it is incomplete, and its gates are unknown", r.label, SummaryFile))
				continue
			}
			s.Warnings = appendNew(s.Warnings, fmt.Sprintf("%s has no %s beside it: its gates, events and warnings are unknown", r.label, SummaryFile))
			continue
		}
		rs := r.summary
		s.Complete = s.Complete && rs.Complete
		suites = appendNew(suites, rs.Suite)
		providers = appendNew(providers, rs.Provider)
		if rs.RunID != "" {
			runIDs = appendNew(runIDs, rs.RunID)
		}
		if s.Started.IsZero() || (!rs.Started.IsZero() && rs.Started.Before(s.Started)) {
			s.Started = rs.Started
		}
		if rs.Finished.After(s.Finished) {
			s.Finished = rs.Finished
		}
		if s.Stack == (loadharness.StackShape{}) {
			s.Stack = rs.Stack
		}
		s.InvalidReasons = appendNew(s.InvalidReasons, rs.InvalidReasons...)
		if rs.Aborted != "" {
			aborted = appendNew(aborted, rs.Aborted)
		}
		s.Interrupted = s.Interrupted || rs.Interrupted
		if rs.Verdict == loadharness.VerdictInvalid && !rs.Interrupted && len(rs.InvalidReasons) == 0 {
			// Recorded invalid by a harness that kept no reason.
			wasInvalid = true
		}
		s.Warnings = appendNew(s.Warnings, rs.Warnings...)
		s.Events = appendNewEvents(s.Events, rs.Events)
		for _, sc := range rs.Scenarios {
			asked[sc.Name] += sc.AskedRPS
		}
		for _, gr := range rs.Gates {
			g := gr.Gate
			key := gateKey{gr.Scenario, g.String()}
			if _, ok := gates[key]; !ok {
				gates[key] = g
				gateOrder = append(gateOrder, key)
			}
			if !gr.Missing {
				recorded.add(gr.Scenario, g, gr.Measured)
			}
		}
	}
	if wasInvalid && len(s.InvalidReasons) == 0 {
		s.InvalidReasons = []string{"an input was recorded as invalid, without a reason"}
	}
	s.Suite = strings.Join(suites, " + ")
	s.Provider = strings.Join(providers, " + ")
	// The shards of one run share its id (run --run-id); runs merged
	// afterwards keep each of theirs.
	s.RunID = strings.Join(runIDs, " + ")
	slices.SortStableFunc(s.Events, func(a, b loadharness.Event) int { return a.At.Compare(b.At) })
	measurer := loadharness.Measurers{agg, recorded}
	for _, key := range gateOrder {
		s.Gates = append(s.Gates, gates[key].Evaluate(key.scenario, measurer))
	}
	s.Scenarios = reports.BuildScenarioSummaries(agg)
	for i := range s.Scenarios {
		s.Scenarios[i].AskedRPS = asked[s.Scenarios[i].Name]
	}
	s.Aborted = strings.Join(aborted, "; ")
	s.Verdict = loadharness.Judge(s.Evidence()).Verdict
	in.Summary = s
	in.Aggregate = agg
	return in
}

// recordedValues answers the metrics raw results cannot: counters the
// target reported (serialization_errors, target:NAME), the metrics
// measured around events (recovery_time, excess_errors, …), which need the
// actions' start times a summary does not keep, and promql gates, which
// were Prometheus's answers (see MeasureGate). Shards of one run load one
// shared target and each scrapes all of it over about the same window, so
// a counter is taken once: the largest reading, never the sum of N copies;
// an event measure is the worst any input recorded.
type recordedValues map[recordedKey][]float64

type recordedKey struct{ scenario, metric, step string }

func (r recordedValues) add(scenario string, g loadharness.Gate, v float64) {
	if g.Metric.FromTarget() || g.Metric.FromEvents() || g.Metric.FromPrometheus() {
		k := recordedKeyOf(scenario, g)
		r[k] = append(r[k], v)
	}
}

// recordedKeyOf keys a promql gate by its whole text: its value is its
// expression's worst point for its own operator and threshold, which
// another gate on the same expression would not have chosen.
func recordedKeyOf(scenario string, g loadharness.Gate) recordedKey {
	if g.Metric.FromPrometheus() {
		return recordedKey{scenario, g.String(), g.Step}
	}
	return recordedKey{scenario, g.Metric.Name, g.Step}
}

// MeasureGate answers a promql gate, which raw results cannot, with the
// worst recorded reading for its operator: each input asked Prometheus
// over its own window, and the gate holds only if it held on every one.
// Any other gate is answered as Measure answers its metric.
func (r recordedValues) MeasureGate(g loadharness.Gate, s loadharness.Scope) (float64, bool) {
	if !g.Metric.FromPrometheus() {
		return r.Measure(g.Metric, s)
	}
	return g.Op.Worst(g.Threshold, r[recordedKeyOf(s.Scenario, g)])
}

// Measure combines the recorded values of the metric on the scope.
func (r recordedValues) Measure(m loadharness.Metric, s loadharness.Scope) (float64, bool) {
	values, ok := r[recordedKey{s.Scenario, m.Name, s.Step}]
	if !ok || !(m.FromTarget() || m.FromEvents()) {
		return 0, false
	}
	return slices.Max(values), true
}

var _ loadharness.GateMeasurer = recordedValues(nil)

// appendNew appends the values not yet in list, keeping order; empty
// strings are skipped.
func appendNew(list []string, values ...string) []string {
	for _, v := range values {
		if v != "" && !slices.Contains(list, v) {
			list = append(list, v)
		}
	}
	return list
}

func appendNewEvents(list, events []loadharness.Event) []loadharness.Event {
	for _, ev := range events {
		if !slices.ContainsFunc(list, func(e loadharness.Event) bool {
			return e.At.Equal(ev.At) && e.Kind == ev.Kind && e.Target == ev.Target && e.Detail == ev.Detail
		}) {
			list = append(list, ev)
		}
	}
	return list
}
