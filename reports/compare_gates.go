package reports

import (
	"loadharness"
)

// Statuses of a GateChange.
const (
	GateStillPassing = "still passing"
	GateStillFailing = "still failing"
	GateNewlyFailing = "newly failing"
	GateNewlyPassing = "newly passing"
	GateOnlyBaseline = "only in baseline"
	GateOnlyCurrent  = "only in current"
)

// gates compares the gates judged on scenario ("" for the whole run), in
// the baseline's order, then the current run's new ones.
func (cmp comparer) gates(scenario string) []GateChange {
	out := []GateChange{}
	index := map[string]int{}
	for _, g := range cmp.base.Summary.Gates {
		if g.Scenario != scenario {
			continue
		}
		if _, dup := index[g.Gate.String()]; dup {
			continue
		}
		index[g.Gate.String()] = len(out)
		out = append(out, GateChange{Scenario: scenario, Gate: g.Gate, Baseline: &g, Status: GateOnlyBaseline})
	}
	for _, g := range cmp.cur.Summary.Gates {
		if g.Scenario != scenario {
			continue
		}
		i, ok := index[g.Gate.String()]
		if !ok {
			index[g.Gate.String()] = len(out)
			out = append(out, GateChange{Scenario: scenario, Gate: g.Gate, Current: &g, Status: GateOnlyCurrent})
			continue
		}
		if out[i].Current != nil {
			continue
		}
		out[i].Current = &g
		out[i].Status = gateStatus(out[i].Baseline.Pass, g.Pass)
	}
	for i := range out {
		if out[i].Status == GateNewlyFailing {
			cmp.judgeNewlyFailing(&out[i])
		}
	}
	return out
}

func gateStatus(before, now bool) string {
	switch {
	case before && now:
		return GateStillPassing
	case before:
		return GateNewlyFailing
	case now:
		return GateNewlyPassing
	default:
		return GateStillFailing
	}
}

// judgeNewlyFailing decides whether a gate that held and now fails is a
// regression: yes when its metric moved beyond the noise for the worse, no
// when the bootstrap says the move is noise (the gate sat at its threshold
// and the run's luck tipped it), yes when the metric cannot be resampled,
// since then nothing says it is noise.
func (cmp comparer) judgeNewlyFailing(gc *GateChange) {
	gate := gc.Gate
	if !cmp.testable || gc.Current.Missing || gc.Baseline.Missing {
		gc.Regression = true
		gc.Note = "cannot be tested against the noise"
		return
	}
	scope := loadharness.Scope{Scenario: gc.Scenario, Step: gate.Step, Phase: gate.Phase}
	m := gate.Metric
	var qs []float64
	switch {
	case m.Kind == loadharness.KindLatency && m.Quantile > 0:
		qs = []float64{m.Quantile}
	case m.Name == loadharness.MetricErrorRate, m.Name == loadharness.MetricAvailability, m.Name == loadharness.MetricThroughput:
	default:
		gc.Regression = true
		gc.Note = "its metric cannot be resampled"
		return
	}
	ps := newPairSample(cmp.base.Aggregate, cmp.cur.Aggregate, scope, m.Raw)
	if len(ps.base.blocks) < minBlocks || len(ps.cur.blocks) < minBlocks {
		gc.Regression = true
		gc.Note = "too short to test against the noise"
		return
	}
	quant, rps, errRate, ok, _ := bootstrapChanges(ps, qs, cmp.opts)
	var worse, tested bool
	switch {
	case len(qs) == 1:
		worse, tested = quant[0].low > 0, ok[0]
	case m.Name == loadharness.MetricThroughput:
		worse, tested = rps.high < 0, ok[len(qs)]
	default:
		worse, tested = errRate.low > 0, ok[len(qs)+1]
	}
	switch {
	case !tested:
		gc.Regression = true
		gc.Note = "cannot be tested against the noise"
	case worse:
		gc.Regression = true
		gc.Note = "its metric moved beyond the noise"
	default:
		gc.Note = "its metric moved within the noise: the gate sits at its threshold"
	}
}
