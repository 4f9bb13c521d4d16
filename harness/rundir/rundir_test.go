package rundir_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/rundir"
	"loadharness/reports"
	"loadharness/reports/aggregate"
	"loadharness/reports/charts"
	"loadharness/scenarios"
)

var reportStart = time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)

// shardResults is a fixed 30-second run of two scenarios as three load
// generators would send it: shard k sends every third request.
func shardResults() []loadharness.Result {
	var out []loadharness.Result
	for i := range 3000 {
		sc, step := "browse", "map"
		if i%4 == 0 {
			step = "upload"
		}
		if i >= 2000 {
			sc = "failover"
		}
		sent := reportStart.Add(time.Duration(i) * 10 * time.Millisecond)
		r := loadharness.Result{
			Scenario: sc, Step: step, Method: "GET", URL: "http://127.0.0.1:8000/" + step,
			User: uint32(1 + i%30), Seq: uint64(i), Intended: sent.Add(-time.Duration(i%3) * time.Millisecond), Sent: sent,
			Latency: time.Duration(20+(i*37)%180) * time.Millisecond, Code: 200,
			Instance: fmt.Sprintf("instance-%d", 1+i%3), Session: loadharness.SessionKept,
		}
		if i%97 == 0 {
			r.Code, r.Error = 503, "503 Service Unavailable"
		}
		if i%401 == 0 {
			r.Session, r.CheckFailure = loadharness.SessionLost, "dataset belongs to another user"
		}
		out = append(out, r)
	}
	return out
}

// writeRawFile writes results in the raw format.
func writeRawFile(t *testing.T, path string, results []loadharness.Result) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := scenarios.NewRawWriter(f)
	for i := range results {
		w.Add(&results[i])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeShards writes the results as shards run directories, each with a
// summary.json carrying the suite's gates and a target counter, and
// returns the directories.
func writeShards(t *testing.T, results []loadharness.Result, shards int, withSummary bool) []string {
	t.Helper()
	var dirs []string
	for k := range shards {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("shard-%d", k))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		var mine []loadharness.Result
		for i := k; i < len(results); i += shards {
			mine = append(mine, results[i])
		}
		writeRawFile(t, filepath.Join(dir, rundir.ResultsFile), mine)
		if withSummary {
			s := reports.Summary{
				Verdict: loadharness.VerdictPass, Suite: "shards", Provider: "external",
				Started: reportStart.Add(-time.Duration(k) * 300 * time.Millisecond), Finished: reportStart.Add(31 * time.Second),
				Warnings:  []string{"shared warning", fmt.Sprintf("shard %d warning", k)},
				Events:    []loadharness.Event{{At: reportStart.Add(25 * time.Second), Kind: "kill", Target: "instance-1"}},
				Scenarios: []reports.ScenarioSummary{{Name: "browse", AskedRPS: 100.0 / 3}, {Name: "failover"}},
				Gates: []loadharness.GateResult{
					{Scenario: "browse", Gate: loadharness.MustParseGate("p95 < 2s"), Pass: true},
					{Scenario: "browse", Gate: loadharness.MustParseGate("p95<2s"), Pass: true}, // the same gate, written differently
					{Scenario: "", Gate: loadharness.MustParseGate("serialization_errors == 0"), Unit: "count", Measured: float64(k), Pass: k == 0},
					{Scenario: "failover", Gate: loadharness.MustParseGate("requests >= 1000"), Pass: true},
				},
			}
			writeSummary(t, dir, s)
		}
		dirs = append(dirs, dir)
	}
	return dirs
}

// writeSummary writes s as dir's summary.json.
func writeSummary(t *testing.T, dir string, s reports.Summary) {
	t.Helper()
	f, err := os.Create(filepath.Join(dir, rundir.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := reports.WriteSummaryJSON(f, s); err != nil {
		t.Fatal(err)
	}
}

// MustReport runs rundir.Report or fails the test.
func MustReport(t *testing.T, inputs []string, out string) reports.Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := rundir.Report(ctx, inputs, out)
	if err != nil {
		t.Fatalf("Report(%v): %v", inputs, err)
	}
	return s
}

// wholeRun is the summary figures of one aggregate of every result.
func wholeRun(t *testing.T, results []loadharness.Result) []reports.ScenarioSummary {
	t.Helper()
	a := aggregate.New(reportStart)
	for i := range results {
		a.Add(&results[i])
	}
	return reports.BuildScenarioSummaries(a)
}

func TestReportOfThreeShardsCountsLikeOneRun(t *testing.T) {
	results := shardResults()
	dirs := writeShards(t, results, 3, true)
	out := t.TempDir()
	got := MustReport(t, dirs, out)

	want := wholeRun(t, results)
	want[0].AskedRPS = 100 // three shards asked a third each
	if !reflect.DeepEqual(byStepName(got.Scenarios), byStepName(want)) {
		t.Errorf("merged figures differ from one aggregate of every result:\ngot  %+v\nwant %+v", got.Scenarios, want)
	}
	var gates []string
	for _, g := range got.Gates {
		gates = append(gates, scenarioOr(g.Scenario)+": "+g.Gate.String())
	}
	if got, want := strings.Join(gates, "; "), "browse: p95 < 2s; (run): serialization_errors == 0; failover: requests >= 1000"; got != want {
		t.Errorf("gates = %s, want %s (deduplicated, in order)", got, want)
	}
	// The shards scraped one shared target over the same window: its
	// counters are taken once (the widest reading), not once per shard.
	if g := got.Gates[1]; g.Measured != 2 || g.Pass {
		t.Errorf("serialization_errors = %v (pass %v), want 2, the largest shard's reading, failing", g.Measured, g.Pass)
	}
	if got, want := got.Verdict, loadharness.VerdictFail; got != want {
		t.Errorf("verdict = %v, want %v", got, want)
	}
	if n := len(got.Events); n != 1 {
		t.Errorf("%d events, want 1 (the shards' common event once)", n)
	}
	if n := len(got.Warnings); n != 4 {
		t.Errorf("warnings = %q, want the shared one once and each shard's", got.Warnings)
	}
	if !got.Started.Equal(reportStart.Add(-600 * time.Millisecond)) {
		t.Errorf("started = %v, want the earliest shard's", got.Started)
	}
	for _, name := range []string{rundir.SummaryFile, rundir.ReportHTMLFile, rundir.ReportMarkdownFile, rundir.JUnitFile,
		filepath.Join(rundir.ChartDir, "latency-browse.png"), filepath.Join(rundir.ChartDir, "latency-browse.svg")} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The summary written is the one returned.
	f, err := os.Open(filepath.Join(out, rundir.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	written, err := reports.ReadSummaryJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(written.Scenarios, got.Scenarios) {
		t.Error("summary.json differs from the summary Report returned")
	}
}

func TestReportOfRawFilesAlone(t *testing.T) {
	results := shardResults()
	var files []string
	for _, dir := range writeShards(t, results, 3, false) {
		files = append(files, filepath.Join(dir, rundir.ResultsFile))
	}
	got := MustReport(t, files, t.TempDir())
	if !reflect.DeepEqual(byStepName(got.Scenarios), byStepName(wholeRun(t, results))) {
		t.Errorf("raw files merged differ from one aggregate of every result:\ngot  %+v", got.Scenarios)
	}
	if len(got.Gates) != 0 {
		t.Errorf("gates = %v, want none: raw files carry no gates", got.Gates)
	}
	if !strings.Contains(strings.Join(got.Warnings, "\n"), "no summary.json") {
		t.Errorf("warnings = %q, want one saying gates are unknown", got.Warnings)
	}
}

func TestReportOfTruncatedFile(t *testing.T) {
	results := shardResults()[:100]
	path := filepath.Join(t.TempDir(), "cut.json")
	writeRawFile(t, path, results)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data[:len(data)-40], 0o644); err != nil { // cut the last line short
		t.Fatal(err)
	}
	got := MustReport(t, []string{path}, t.TempDir())
	if n := got.Scenarios[0].Requests; n != len(results)-1 {
		t.Errorf("requests = %d, want the %d complete lines", n, len(results)-1)
	}
	if !strings.Contains(strings.Join(got.Warnings, "\n"), "truncated at line 100") {
		t.Errorf("warnings = %q, want the truncation said plainly", got.Warnings)
	}
}

func TestReportOfSummaryAlone(t *testing.T) {
	dirs := writeShards(t, shardResults(), 1, true)
	if err := os.Remove(filepath.Join(dirs[0], rundir.ResultsFile)); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	got := MustReport(t, []string{filepath.Join(dirs[0], rundir.SummaryFile)}, out)
	if !strings.Contains(strings.Join(got.Warnings, "\n"), "no raw results") {
		t.Errorf("warnings = %q, want one saying the report has no raw results", got.Warnings)
	}
	md, err := os.ReadFile(filepath.Join(out, rundir.ReportMarkdownFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(md), "No charts") {
		t.Errorf("report.md does not say why it has no charts")
	}
}

func TestReportErrors(t *testing.T) {
	empty := t.TempDir()
	withRaw := writeShards(t, shardResults(), 1, true)[0]
	summaryOnly := writeShards(t, shardResults(), 1, true)[0]
	if err := os.Remove(filepath.Join(summaryOnly, rundir.ResultsFile)); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(t.TempDir(), "garbage.json")
	if err := os.WriteFile(garbage, []byte("{\"timestamp\": 12}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		inputs []string
		want   string
	}{
		{"no input", nil, "no input"},
		{"missing path", []string{filepath.Join(empty, "nope")}, "no such file"},
		{"empty directory", []string{empty}, "holds neither"},
		{"mixed raw and summary-only", []string{withRaw, summaryOnly}, "no raw results in"},
		{"bad raw line", []string{garbage}, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := rundir.Report(context.Background(), tt.inputs, t.TempDir())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Report(%v) = %v, want an error about %q", tt.inputs, err, tt.want)
			}
		})
	}
}

func TestWriteArtefactsRegenerates(t *testing.T) {
	results := shardResults()
	dir := writeShards(t, results, 1, true)[0]
	in, err := rundir.LoadRuns(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	in.Environment = reports.Environment{Commit: "abc123", CPUs: 2, Versions: map[string]string{"target": "v1"}}
	in.Target = []reports.TargetSample{
		{At: reportStart, Values: map[string]float64{"target_queue_depth": 1}},
		{At: reportStart.Add(time.Second), Values: map[string]float64{"target_queue_depth": 3}},
	}
	if err := rundir.WriteArtefacts(dir, in); err != nil {
		t.Fatal(err)
	}
	// A later `loadtest report` of the directory finds the environment and
	// the target's metrics again.
	again, err := rundir.LoadRuns(context.Background(), []string{dir})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Environment, in.Environment) {
		t.Errorf("environment = %+v, want %+v", again.Environment, in.Environment)
	}
	if len(again.Target) != 2 || again.Target[1].Values["target_queue_depth"] != 3 {
		t.Errorf("target samples = %+v, want the two written", again.Target)
	}
	if _, err := os.Stat(filepath.Join(dir, rundir.ChartDir, "target-load.png")); err != nil {
		t.Errorf("target chart: %v", err)
	}
}

func TestWriteChartFiles(t *testing.T) {
	chart, err := charts.Capacity(charts.CapacityCurve{Name: "capacity-maps", LoadLabel: "users", Unit: "users",
		Points: []charts.CapacityPoint{{Load: 1, P50: 4, P95: 9, P99: 12, ThroughputRPS: 20}, {Load: 2, P50: 5, P95: 11, P99: 15, ThroughputRPS: 39}}})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	images, err := rundir.WriteChartFiles(dir, []charts.Chart{chart})
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 1 || images[0].Name != "capacity-maps" || images[0].Path != "charts/capacity-maps.png" {
		t.Fatalf("images = %+v, want capacity-maps linked as charts/capacity-maps.png", images)
	}
	png, err := os.ReadFile(filepath.Join(dir, rundir.ChartDir, "capacity-maps.png"))
	if err != nil || !bytes.Equal(png, images[0].PNG) {
		t.Errorf("capacity-maps.png: %v, or not the PNG the report inlines", err)
	}
	if st, err := os.Stat(filepath.Join(dir, rundir.ChartDir, "capacity-maps.svg")); err != nil || st.Size() == 0 {
		t.Errorf("capacity-maps.svg: %v", err)
	}
}

// byStepName orders each scenario's steps by name: a merge meets steps in
// the shards' order, one run in the order they were sent; the figures are
// what must agree.
func byStepName(scs []reports.ScenarioSummary) []reports.ScenarioSummary {
	out := slices.Clone(scs)
	for i := range out {
		out[i].Steps = slices.Clone(out[i].Steps)
		slices.SortFunc(out[i].Steps, func(a, b reports.StepSummary) int { return strings.Compare(a.Name, b.Name) })
	}
	return out
}

func scenarioOr(s string) string {
	if s == "" {
		return "(run)"
	}
	return s
}
