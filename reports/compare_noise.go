package reports

import (
	"fmt"
	"slices"
)

// A comparison flags a regression only past two kinds of noise and one
// trap of its own:
//   - within-run noise: the block bootstrap of the reference baseline and
//     the current run (compare_bootstrap.go);
//   - run-to-run noise: with several baselines (past nights), a change must
//     also leave their spread: be worse than every one of them;
//   - many comparisons: five metrics a scenario, each tested at the
//     comparison's level, would flag some change by chance on most runs;
//     Holm's step-down procedure keeps the chance of any false flag in the
//     whole comparison at the level.

// holm applies Holm's step-down procedure to the regressions of c at the
// one-sided family-wise level alpha over every tested metric: the i-th
// smallest p-value (0-based) of m must be at most alpha/(m-i), and the first
// that is not ends the rejections. A regression that does not survive is
// noise.
func holm(c *Comparison, alpha float64) {
	type ref struct{ sc, m int }
	var tested []ref
	for i := range c.Scenarios {
		for j, m := range c.Scenarios[i].Metrics {
			if m.Tested {
				tested = append(tested, ref{i, j})
			}
		}
	}
	slices.SortStableFunc(tested, func(a, b ref) int {
		pa, pb := c.Scenarios[a.sc].Metrics[a.m].PWorse, c.Scenarios[b.sc].Metrics[b.m].PWorse
		switch {
		case pa < pb:
			return -1
		case pa > pb:
			return 1
		}
		return 0
	})
	rejecting := true
	for i, r := range tested {
		m := &c.Scenarios[r.sc].Metrics[r.m]
		rejecting = rejecting && m.PWorse <= alpha/float64(len(tested)-i)
		if m.Regression && !rejecting {
			m.Regression, m.Verdict = false, ChangeNoise
			m.Note = fmt.Sprintf("worse, but not past Holm's correction for %d comparisons (p = %.3g)", len(tested), m.PWorse)
		}
	}
	c.Tested = len(tested)
}

// runToRun keeps a regression of m only when the current value is worse
// than every baseline's: what the baselines spread over is run-to-run
// noise. worse tells whether a is worse than b for this metric.
func runToRun(m *MetricChange, baselines []float64, worse func(a, b float64) bool) {
	if len(baselines) < 2 {
		return
	}
	worst := baselines[0]
	for _, v := range baselines[1:] {
		if worse(v, worst) {
			worst = v
		}
	}
	m.BaselineWorst, m.Baselines = worst, len(baselines)
	if m.Regression && !worse(m.Current, worst) {
		m.Regression, m.Verdict = false, ChangeNoise
		m.Note = fmt.Sprintf("within the spread of %d baselines (worst %s)", len(baselines), metricValue(*m, worst))
	}
}

// noiseNotes say what noise a comparison measured and how it corrected
// for many comparisons.
func noiseNotes(reference string, baselines int, tested int, alpha float64) []string {
	notes := []string{}
	if baselines < 2 {
		notes = append(notes, fmt.Sprintf("noise measured: within-run only (a block bootstrap of %s and the current run); "+
			"give several baselines, the past nights, to measure run-to-run noise too", reference))
	} else {
		notes = append(notes, fmt.Sprintf("noise measured: within-run (a block bootstrap of %s, the reference, and the current run) "+
			"and run-to-run (%d baselines: a regression must also be worse than every one of them)", reference, baselines))
	}
	if tested > 0 {
		notes = append(notes, fmt.Sprintf("multiple comparisons: Holm's step-down correction over %d tested metrics, "+
			"family-wise one-sided level %.3g; the intervals shown are not adjusted", tested, alpha))
	}
	return notes
}
