package rundir_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"loadharness"
	"loadharness/harness/rundir"
	"loadharness/reports"
)

// writePromQLRuns writes one run directory per measured value, each with
// its share of the results and a summary holding the promql gates as its
// run judged them on its own Prometheus queries: `< 0.6` at worst[k],
// `> 0.1` at floor[k].
func writePromQLRuns(t *testing.T, worst, floor []float64) []string {
	t.Helper()
	results := shardResults()
	var dirs []string
	for k := range worst {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("run-%d", k))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var mine []loadharness.Result
		for i := k; i < len(results); i += len(worst) {
			mine = append(mine, results[i])
		}
		writeRawFile(t, filepath.Join(dir, rundir.ResultsFile), mine)
		upper, lower := loadharness.MustParseGate("promql(`cpu`) < 0.6"), loadharness.MustParseGate("promql(`cpu`) > 0.1")
		s := reports.Summary{
			Verdict: loadharness.VerdictPass, Suite: "promql", Provider: "external", Started: reportStart, Finished: reportStart.Add(31e9),
			Gates: []loadharness.GateResult{
				upper.Evaluate("browse", loadharness.MeasurerFunc(func(loadharness.Metric, loadharness.Scope) (float64, bool) { return worst[k], true })),
				lower.Evaluate("browse", loadharness.MeasurerFunc(func(loadharness.Metric, loadharness.Scope) (float64, bool) { return floor[k], true })),
			},
		}
		writeSummary(t, dir, s)
		dirs = append(dirs, dir)
	}
	return dirs
}

// TestReportKeepsPromQLGates: a report rebuilt from a run's raw results
// cannot ask Prometheus again, so it keeps what the run measured; shards
// that each asked over their own window are judged at the worst of their
// readings for each gate's operator.
func TestReportKeepsPromQLGates(t *testing.T) {
	tests := []struct {
		name         string
		worst, floor []float64
		upper, lower float64
		verdict      loadharness.Verdict
	}{
		{"one run", []float64{0.55}, []float64{0.3}, 0.55, 0.3, loadharness.VerdictPass},
		{"three shards", []float64{0.3, 0.7, 0.5}, []float64{0.3, 0.2, 0.5}, 0.7, 0.2, loadharness.VerdictFail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MustReport(t, writePromQLRuns(t, tt.worst, tt.floor), t.TempDir())
			want := map[string]float64{"promql(`cpu`) < 0.6": tt.upper, "promql(`cpu`) > 0.1": tt.lower}
			for _, g := range got.Gates {
				w, ok := want[g.Gate.String()]
				if !ok {
					continue
				}
				delete(want, g.Gate.String())
				if g.Missing || g.Measured != w || g.Pass != g.Gate.Op.Holds(w, g.Threshold) {
					t.Errorf("%s: measured %v, pass %v, missing %v; want %v as recorded", g.Display, g.Measured, g.Pass, g.Missing, w)
				}
			}
			if len(want) > 0 {
				t.Errorf("gates missing from the report: %v", want)
			}
			if got.Verdict != tt.verdict {
				t.Errorf("verdict %s, want %s", got.Verdict, tt.verdict)
			}
		})
	}
}
