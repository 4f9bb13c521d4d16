package reports

import (
	"fmt"
	"math"
	"slices"

	"loadharness"
	"loadharness/reports/aggregate"
)

// Defaults of CompareOptions.
const (
	DefaultResamples           = 2000
	DefaultConfidence          = 0.99
	DefaultMinLatencyChange    = 0.10  // +10%
	DefaultMinLatencyDeltaMS   = 1.0   // and at least 1ms
	DefaultMinThroughputChange = 0.10  // -10%
	DefaultMinErrorRateChange  = 0.001 // +0.1 percentage point
	DefaultCompareSeed         = 20250729
)

// CompareOptions tune how CompareSummaries tells a change from noise. Zero
// fields take the Default* values.
type CompareOptions struct {
	// Resamples is how many bootstrap replicates each test draws.
	Resamples int
	// Confidence is the level of the intervals, for example 0.95.
	Confidence float64
	// MinLatencyChange (relative) and MinLatencyDeltaMS (absolute) are the
	// smallest latency increase worth flagging, however certain.
	MinLatencyChange  float64
	MinLatencyDeltaMS float64
	// MinThroughputChange is the smallest relative drop worth flagging.
	MinThroughputChange float64
	// MinErrorRateChange is the smallest increase of the error rate (a
	// fraction of requests) worth flagging.
	MinErrorRateChange float64
	// Seed makes the resampling, hence the report, reproducible.
	Seed uint64
}

func (o CompareOptions) withDefaults() CompareOptions {
	if o.Resamples <= 0 {
		o.Resamples = DefaultResamples
	}
	if o.Confidence <= 0 || o.Confidence >= 1 {
		o.Confidence = DefaultConfidence
	}
	if o.MinLatencyChange <= 0 {
		o.MinLatencyChange = DefaultMinLatencyChange
	}
	if o.MinLatencyDeltaMS <= 0 {
		o.MinLatencyDeltaMS = DefaultMinLatencyDeltaMS
	}
	if o.MinThroughputChange <= 0 {
		o.MinThroughputChange = DefaultMinThroughputChange
	}
	if o.MinErrorRateChange <= 0 {
		o.MinErrorRateChange = DefaultMinErrorRateChange
	}
	if o.Seed == 0 {
		o.Seed = DefaultCompareSeed
	}
	return o
}

// CompareRun is one side of a comparison: a run's summary and, when its
// raw results were at hand, their aggregate. Without an aggregate the
// changes are shown but cannot be tested against the noise.
type CompareRun struct {
	// Label names the run in the output, for example its directory.
	Label     string
	Summary   Summary
	Aggregate *aggregate.Aggregate
}

// Comparison is a new run judged against a baseline. Its JSON names are a
// contract with CI users.
type Comparison struct {
	Baseline string `json:"baseline"`
	Current  string `json:"current"`
	// Method explains the test in plain words; every output prints it.
	Method string `json:"method"`
	// Regressions counts the metrics and gates flagged; 0 means no change
	// beyond the noise for the worse.
	Regressions int `json:"regressions"`
	// Baselines counts the baseline runs; with two or more, their spread
	// is the run-to-run noise.
	Baselines int `json:"baselines"`
	// Tested counts the metrics tested, the family Holm's correction
	// covers.
	Tested    int                  `json:"tested"`
	Notes     []string             `json:"notes"`
	Scenarios []ScenarioComparison `json:"scenarios"`
}

// ScenarioComparison is one scenario's changes; "(run)" holds the gates on
// the whole run.
type ScenarioComparison struct {
	Name    string         `json:"name"`
	Note    string         `json:"note,omitempty"`
	Metrics []MetricChange `json:"metrics"`
	Gates   []GateChange   `json:"gates"`
}

// Verdicts of a MetricChange.
const (
	ChangeRegression  = "regression"
	ChangeImprovement = "improvement"
	ChangeNoise       = "within noise"
	ChangeSmall       = "worse, below the minimum effect"
	ChangeNotTested   = "not tested"
)

// MetricChange is one figure of a scenario in both runs.
type MetricChange struct {
	// Metric is "p50", "p95", "p99", "throughput" or "error_rate"; Unit is
	// "ms", "/s" or "ratio".
	Metric   string  `json:"metric"`
	Unit     string  `json:"unit"`
	Baseline float64 `json:"baseline"`
	Current  float64 `json:"current"`
	// Change is relative (0.3 is 30% more) when Relative, else absolute
	// in Unit (the error rate's change is in fractions of requests).
	Change   float64 `json:"change"`
	Relative bool    `json:"relative"`
	// Low and High bound Change at the comparison's confidence when Tested.
	Low    float64 `json:"low"`
	High   float64 `json:"high"`
	Tested bool    `json:"tested"`
	// PWorse is the one-sided bootstrap p-value of "no worse" when Tested:
	// what Holm's correction ranks.
	PWorse float64 `json:"p_worse,omitempty"`
	// BaselineWorst is the worst value over Baselines baseline runs, when
	// there were two or more: the run-to-run spread a regression must leave.
	BaselineWorst float64 `json:"baseline_worst,omitempty"`
	Baselines     int     `json:"baselines,omitempty"`
	// Verdict is one of the Change* constants; Regression is true for
	// ChangeRegression.
	Verdict    string `json:"verdict"`
	Regression bool   `json:"regression"`
	Note       string `json:"note,omitempty"`
}

// GateChange is one gate in both runs.
type GateChange struct {
	Scenario string           `json:"scenario"`
	Gate     loadharness.Gate `json:"gate"`
	// Baseline and Current are the gate's results; nil when the run did not
	// judge it.
	Baseline *loadharness.GateResult `json:"baseline"`
	Current  *loadharness.GateResult `json:"current"`
	// Status is "still passing", "still failing", "newly failing",
	// "newly passing", "only in baseline" or "only in current".
	Status     string `json:"status"`
	Regression bool   `json:"regression"`
	Note       string `json:"note,omitempty"`
}

// latencyQuantiles are the quantiles every scenario is compared on.
var latencyQuantiles = []float64{50, 95, 99}

// CompareSummaries judges current against one baseline: CompareHistory
// with a history of one run.
func CompareSummaries(baseline, current CompareRun, opts CompareOptions) Comparison {
	return CompareHistory([]CompareRun{baseline}, current, opts)
}

// CompareHistory judges current against baselines, scenario by scenario
// and gate by gate; the last baseline, the run just before current, is the
// reference that figures and gates are compared with. A change is a
// regression only when a bootstrap interval of it against the reference
// lies wholly on the worse side (so within-run noise is not flagged), it is
// at least the minimum effect (so a certain but trivial change is not
// flagged either), it survives Holm's correction over every tested metric
// (so the many comparisons do not flag noise by chance), and, with several
// baselines, it is worse than every one of them (so run-to-run noise is not
// flagged). Comparison.Method and Notes say exactly how, for the reader.
func CompareHistory(baselines []CompareRun, current CompareRun, opts CompareOptions) Comparison {
	opts = opts.withDefaults()
	if len(baselines) == 0 {
		return Comparison{Current: current.Label, Method: compareMethod(opts), Notes: []string{"no baseline: nothing to compare with"}}
	}
	baseline := baselines[len(baselines)-1]
	c := Comparison{Baseline: baseline.Label, Current: current.Label, Method: compareMethod(opts), Baselines: len(baselines), Notes: []string{}}
	testable := baseline.Aggregate != nil && current.Aggregate != nil
	for _, side := range append(slices.Clone(baselines), current) {
		if side.Aggregate == nil && (side.Label == baseline.Label || side.Label == current.Label) {
			c.Notes = append(c.Notes, fmt.Sprintf("no raw results for %s: changes are shown but not tested against the noise", side.Label))
		}
		if side.Summary.Verdict == loadharness.VerdictInvalid {
			c.Notes = append(c.Notes, fmt.Sprintf("%s is an invalid run: its figures prove nothing, nor does a comparison with them", side.Label))
		}
	}
	cmp := comparer{base: baseline, cur: current, history: baselines, opts: opts, testable: testable}
	for _, name := range scenarioUnion(baseline.Summary, current.Summary) {
		c.Scenarios = append(c.Scenarios, cmp.scenario(name))
	}
	alpha := (1 - opts.Confidence) / 2
	holm(&c, alpha)
	c.Notes = append(c.Notes, noiseNotes(baseline.Label, len(baselines), c.Tested, alpha)...)
	if gates := cmp.gates(""); len(gates) > 0 {
		c.Scenarios = append(c.Scenarios, ScenarioComparison{Name: runSuiteName, Metrics: []MetricChange{}, Gates: gates})
	}
	for _, sc := range c.Scenarios {
		for _, m := range sc.Metrics {
			if m.Regression {
				c.Regressions++
			}
		}
		for _, g := range sc.Gates {
			if g.Regression {
				c.Regressions++
			}
		}
	}
	return c
}

// comparer holds what every part of a comparison needs.
type comparer struct {
	base, cur CompareRun
	// history is every baseline, base (the reference) last.
	history  []CompareRun
	opts     CompareOptions
	testable bool
}

func (cmp comparer) scenario(name string) ScenarioComparison {
	sc := ScenarioComparison{Name: name, Metrics: []MetricChange{}, Gates: cmp.gates(name)}
	b, okb := findScenario(cmp.base.Summary, name)
	c, okc := findScenario(cmp.cur.Summary, name)
	switch {
	case !okb:
		sc.Note = "only in " + cmp.cur.Label
		return sc
	case !okc:
		sc.Note = "only in " + cmp.base.Label
		return sc
	}
	metrics := []MetricChange{
		latencyChange("p50", b.Latency.P50, c.Latency.P50),
		latencyChange("p95", b.Latency.P95, c.Latency.P95),
		latencyChange("p99", b.Latency.P99, c.Latency.P99),
		relativeChange("throughput", "/s", b.ThroughputRPS, c.ThroughputRPS),
		{Metric: "error_rate", Unit: "ratio", Baseline: errorRate(b.Figures), Current: errorRate(c.Figures)},
	}
	metrics[4].Change = metrics[4].Current - metrics[4].Baseline
	comparable := !(b.AskedRPS > 0 && c.AskedRPS > 0 && math.Abs(c.AskedRPS/b.AskedRPS-1) > 0.01)
	var quant []interval
	var rps, errRate interval
	var ok []bool
	var pWorse []float64
	if cmp.testable {
		ps := newPairSample(cmp.base.Aggregate, cmp.cur.Aggregate, loadharness.Scope{Scenario: name}, false)
		if len(ps.base.blocks) < minBlocks || len(ps.cur.blocks) < minBlocks {
			sc.Note = fmt.Sprintf("too short to test: %d and %d blocks of seconds, at least %d needed", len(ps.base.blocks), len(ps.cur.blocks), minBlocks)
		} else {
			quant, rps, errRate, ok, pWorse = bootstrapChanges(ps, latencyQuantiles, cmp.opts)
		}
	}
	for i := range latencyQuantiles {
		if ok != nil {
			cmp.judgeLatency(&metrics[i], quant[i], ok[i])
		} else {
			metrics[i].Verdict = ChangeNotTested
		}
	}
	switch {
	case !comparable:
		metrics[3].Verdict = ChangeNotTested
		metrics[3].Note = fmt.Sprintf("asked rates differ (%s, %s): throughput follows the load model, not the target",
			loadharness.KindRate.Format(b.AskedRPS), loadharness.KindRate.Format(c.AskedRPS))
	case ok != nil:
		cmp.judgeThroughput(&metrics[3], rps, ok[len(latencyQuantiles)])
	default:
		metrics[3].Verdict = ChangeNotTested
	}
	if ok != nil {
		cmp.judgeErrorRate(&metrics[4], errRate, ok[len(latencyQuantiles)+1])
	} else {
		metrics[4].Verdict = ChangeNotTested
	}
	for i := range metrics {
		if metrics[i].Tested {
			metrics[i].PWorse = pWorse[i]
		}
	}
	cmp.runToRun(name, metrics)
	sc.Metrics = metrics
	return sc
}

// runToRun holds each metric of scenario name against the spread of the
// baselines' own figures.
func (cmp comparer) runToRun(name string, metrics []MetricChange) {
	if len(cmp.history) < 2 {
		return
	}
	values := make([][]float64, len(metrics))
	for _, run := range cmp.history {
		f, ok := findScenario(run.Summary, name)
		if !ok {
			return // a baseline without the scenario: no spread to speak of
		}
		for i, v := range []float64{f.Latency.P50, f.Latency.P95, f.Latency.P99, f.ThroughputRPS, errorRate(f.Figures)} {
			values[i] = append(values[i], v)
		}
	}
	higher := func(a, b float64) bool { return a > b }
	lower := func(a, b float64) bool { return a < b }
	for i := range metrics {
		worse := higher
		if metrics[i].Metric == "throughput" {
			worse = lower
		}
		runToRun(&metrics[i], values[i], worse)
	}
}

func latencyChange(name string, b, c float64) MetricChange {
	return relativeChange(name, "ms", b, c)
}

// relativeChange fills the point change current/baseline - 1; with a zero
// baseline there is no relative change, only the note.
func relativeChange(name, unit string, b, c float64) MetricChange {
	m := MetricChange{Metric: name, Unit: unit, Baseline: b, Current: c, Relative: true}
	if b > 0 {
		m.Change = c/b - 1
	} else {
		m.Note = "baseline is zero: no relative change"
	}
	return m
}

// errorRate counts dropped hits as failures, as the error_rate gate does.
func errorRate(f Figures) float64 {
	if f.Requests+f.Dropped == 0 {
		return 0
	}
	return float64(f.Failed+f.Dropped) / float64(f.Requests+f.Dropped)
}

func (cmp comparer) judgeLatency(m *MetricChange, iv interval, ok bool) {
	if !ok || m.Baseline <= 0 {
		m.Verdict = ChangeNotTested
		return
	}
	m.Tested, m.Low, m.High = true, iv.low, iv.high
	big := m.Change >= cmp.opts.MinLatencyChange && m.Current-m.Baseline >= cmp.opts.MinLatencyDeltaMS
	switch {
	case iv.low > 0 && big:
		m.Verdict, m.Regression = ChangeRegression, true
	case iv.low > 0:
		m.Verdict = ChangeSmall
	case iv.high < 0 && m.Change <= -cmp.opts.MinLatencyChange:
		m.Verdict = ChangeImprovement
	default:
		m.Verdict = ChangeNoise
	}
}

func (cmp comparer) judgeThroughput(m *MetricChange, iv interval, ok bool) {
	if !ok || m.Baseline <= 0 {
		m.Verdict = ChangeNotTested
		return
	}
	m.Tested, m.Low, m.High = true, iv.low, iv.high
	switch {
	case iv.high < 0 && m.Change <= -cmp.opts.MinThroughputChange:
		m.Verdict, m.Regression = ChangeRegression, true
	case iv.high < 0:
		m.Verdict = ChangeSmall
	case iv.low > 0 && m.Change >= cmp.opts.MinThroughputChange:
		m.Verdict = ChangeImprovement
	default:
		m.Verdict = ChangeNoise
	}
}

func (cmp comparer) judgeErrorRate(m *MetricChange, iv interval, ok bool) {
	if !ok {
		m.Verdict = ChangeNotTested
		return
	}
	m.Tested, m.Low, m.High = true, iv.low, iv.high
	switch {
	case iv.low > 0 && m.Change >= cmp.opts.MinErrorRateChange:
		m.Verdict, m.Regression = ChangeRegression, true
	case iv.low > 0:
		m.Verdict = ChangeSmall
	case iv.high < 0 && m.Change <= -cmp.opts.MinErrorRateChange:
		m.Verdict = ChangeImprovement
	default:
		m.Verdict = ChangeNoise
	}
}

func scenarioUnion(a, b Summary) []string {
	var names []string
	seen := map[string]bool{}
	for _, s := range []Summary{a, b} {
		for _, sc := range s.Scenarios {
			if !seen[sc.Name] {
				seen[sc.Name] = true
				names = append(names, sc.Name)
			}
		}
		for _, g := range s.Gates {
			if g.Scenario != "" && !seen[g.Scenario] {
				seen[g.Scenario] = true
				names = append(names, g.Scenario)
			}
		}
	}
	return names
}

func findScenario(s Summary, name string) (ScenarioSummary, bool) {
	for _, sc := range s.Scenarios {
		if sc.Name == name {
			return sc, true
		}
	}
	return ScenarioSummary{}, false
}

func compareMethod(o CompareOptions) string {
	return fmt.Sprintf("Block bootstrap. Each run's active seconds are cut into blocks of about n^(1/3) seconds "+
		"(for n seconds), which keeps together the bursts and pauses that make neighbouring requests alike. "+
		"%d times, both runs are resampled block by block with replacement and p50, p95, p99 (from the "+
		"per-second HDR histograms), throughput and error rate are computed on each replicate; the %g%% "+
		"interval of a change is the middle %g%% of the replicate differences. A change is a regression only "+
		"when its whole interval lies on the worse side of zero and it is at least the minimum effect: "+
		"latency +%g%% and +%gms, throughput -%g%%, error rate +%g percentage point(s). A gate that held in "+
		"the baseline and fails now is a regression when its own metric moved beyond the noise (the gate's "+
		"threshold is then the effect that matters) or when its metric cannot be resampled (counts, target "+
		"counters, or no raw results). Every tested metric's one-sided bootstrap p-value then goes through "+
		"Holm's step-down correction, so that the chance of any false flag in the whole comparison stays "+
		"at the level; and with several baselines a regression must also be worse than every one of them "+
		"(their spread is the run-to-run noise).",
		o.Resamples, 100*o.Confidence, 100*o.Confidence, 100*o.MinLatencyChange, o.MinLatencyDeltaMS,
		100*o.MinThroughputChange, 100*o.MinErrorRateChange)
}
