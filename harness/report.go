package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"loadharness"
	"loadharness/reports"
	"loadharness/scenarios"
)

// Files of the sign-off report, written beside summary.json.
const (
	ReportHTMLFile     = "report.html"
	ReportMarkdownFile = "report.md"
	JUnitFile          = "junit.xml"
	// EnvironmentFile and TargetMetricsFile keep what a raw results file
	// cannot, so `loadtest report` regenerates the same report later.
	EnvironmentFile   = "environment.json"
	TargetMetricsFile = "target-metrics.json"
)

// rawStartMargin is how long before its first line a raw results file may
// hold a send: lines are written as responses complete, and no latency the
// aggregates keep is longer than 10 minutes.
const rawStartMargin = 10 * time.Minute

// WriteArtefacts writes the sign-off report of a run into outDir:
// report.html (self-contained), report.md with its charts under charts/
// (PNG and SVG), junit.xml, and, when known, environment.json and
// target-metrics.json so the report can be regenerated. It renders the
// charts once for all of them. summary.json is the caller's.
func WriteArtefacts(outDir string, in reports.ReportInput) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if in.Charts == nil {
		charts, err := reports.RenderCharts(in)
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		in.Charts = charts
	}
	if _, err := reports.WriteCharts(filepath.Join(outDir, reports.ChartDir), in); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{ReportHTMLFile, func(w io.Writer) error { return reports.WriteHTML(w, in) }},
		{ReportMarkdownFile, func(w io.Writer) error { return reports.WriteMarkdown(w, in) }},
		{JUnitFile, func(w io.Writer) error { return reports.WriteJUnit(w, in.Summary) }},
	}
	if !in.Environment.IsZero() {
		files = append(files, struct {
			name  string
			write func(io.Writer) error
		}{EnvironmentFile, func(w io.Writer) error { return writeJSON(w, in.Environment) }})
	}
	if len(in.Target) > 0 {
		files = append(files, struct {
			name  string
			write func(io.Writer) error
		}{TargetMetricsFile, func(w io.Writer) error { return writeJSON(w, finiteSamples(in.Target)) }})
	}
	for _, f := range files {
		if err := writeFileAtomic(filepath.Join(outDir, f.name), f.write); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
	}
	return nil
}

// Report regenerates every artefact of one or more runs from what they left
// on disk, without running anything: summary.json, report.html, report.md
// and charts, junit.xml, into outDir. Each input is a run directory
// (summary.json and results.json), a summary.json (its results.json beside
// it is used), or a raw results file. Several inputs merge into one report,
// as shards of one distributed run: see LoadRuns.
func Report(ctx context.Context, inputs []string, outDir string) (reports.Summary, error) {
	in, err := LoadRuns(ctx, inputs)
	if err != nil {
		return reports.Summary{}, err
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return in.Summary, fmt.Errorf("report: %w", err)
	}
	if err := writeSummary(outDir, in.Summary); err != nil {
		return in.Summary, fmt.Errorf("report: %w", err)
	}
	if err := WriteArtefacts(outDir, in); err != nil {
		return in.Summary, fmt.Errorf("report: %w", err)
	}
	return in.Summary, nil
}

// LoadRuns reads runs from disk into one report input. The raw results of
// every input are folded into one aggregate on a common clock; the gates
// found in the summaries (deduplicated by scenario and text) are judged
// again on it; what raw results cannot tell is taken from the summaries:
// counters the target reported (serialization_errors, target:NAME) summed
// across inputs, since each shard saw its own part, and metrics measured
// around events (recovery_time, …) at the worst input's value; events,
// warnings and reasons for invalidity are united. A truncated
// raw file counts what it holds and says so in a warning. An input with a
// summary but no raw results is reported as recorded, alone; merging it
// with others is an error, since its requests could not be counted.
func LoadRuns(ctx context.Context, inputs []string) (reports.ReportInput, error) {
	if len(inputs) == 0 {
		return reports.ReportInput{}, errors.New("report: no input (give run directories or raw results files)")
	}
	runs := make([]*loadedRun, 0, len(inputs))
	for _, path := range inputs {
		r, err := openRun(path)
		if err != nil {
			return reports.ReportInput{}, err
		}
		runs = append(runs, r)
	}
	var noRaw []string
	for _, r := range runs {
		if r.rawPath == "" {
			noRaw = append(noRaw, r.label)
		}
	}
	switch {
	case len(noRaw) == 1 && len(runs) == 1:
		return asRecorded(runs[0]), nil
	case len(noRaw) > 0:
		return reports.ReportInput{}, fmt.Errorf("report: no raw results in %s: a merged report needs every input's %s", strings.Join(noRaw, ", "), ResultsFile)
	}
	agg, warnings, err := aggregateRuns(ctx, runs)
	if err != nil {
		return reports.ReportInput{}, err
	}
	in := mergeRuns(runs, agg)
	in.Summary.Warnings = appendNew(in.Summary.Warnings, warnings...)
	return in, nil
}

// loadedRun is one input: its summary and side files when present, and
// where its raw results are.
type loadedRun struct {
	label   string
	summary *reports.Summary
	rawPath string
	env     *reports.Environment
	target  []reports.TargetSample
}

// openRun reads an input's summary and side files; the raw results are
// read later, all inputs at once.
func openRun(path string) (*loadedRun, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	r := &loadedRun{label: path}
	dir := path
	if !st.IsDir() {
		if filepath.Base(path) != SummaryFile {
			r.rawPath = path
			return r, nil
		}
		dir = filepath.Dir(path)
	}
	if s, err := readSummaryFile(filepath.Join(dir, SummaryFile)); err == nil {
		r.summary = &s
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("report: %s: %w", path, err)
	}
	if _, err := os.Stat(filepath.Join(dir, ResultsFile)); err == nil {
		r.rawPath = filepath.Join(dir, ResultsFile)
	}
	if r.summary == nil && r.rawPath == "" {
		return nil, fmt.Errorf("report: %s holds neither %s nor %s", path, SummaryFile, ResultsFile)
	}
	if b, err := os.ReadFile(filepath.Join(dir, EnvironmentFile)); err == nil {
		env, err := parseEnvironment(b)
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", path, err)
		}
		r.env = &env
	}
	if b, err := os.ReadFile(filepath.Join(dir, TargetMetricsFile)); err == nil {
		samples, err := parseTargetSamples(b)
		if err != nil {
			return nil, fmt.Errorf("report: %s: %w", path, err)
		}
		r.target = samples
	}
	return r, nil
}

func readSummaryFile(path string) (reports.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return reports.Summary{}, err
	}
	defer f.Close()
	return reports.ReadSummaryJSON(f)
}

// asRecorded is a run with a summary and no raw results: reported as its
// summary says, without time charts.
func asRecorded(r *loadedRun) reports.ReportInput {
	in := reports.ReportInput{Summary: *r.summary, Target: r.target}
	if r.env != nil {
		in.Environment = *r.env
	}
	in.Summary.Warnings = appendNew(in.Summary.Warnings,
		fmt.Sprintf("no raw results in %s: figures and gates as recorded in %s, no per-second charts", r.label, SummaryFile))
	return in
}

// aggregateRuns folds every input's raw results into one aggregate. Files
// are read concurrently, each into its own aggregate on a whole-second
// clock, and merged: whole-second offsets make the merge exact.
func aggregateRuns(ctx context.Context, runs []*loadedRun) (*reports.Aggregate, []string, error) {
	type part struct {
		agg     *reports.Aggregate
		warning string
		err     error
	}
	parts := make([]part, len(runs))
	var wg sync.WaitGroup
	for i, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var start time.Time
			if r.summary != nil && !r.summary.Started.IsZero() {
				start = r.summary.Started.Truncate(time.Second)
			}
			parts[i].agg, parts[i].warning, parts[i].err = readRawFile(ctx, r.rawPath, start)
		}()
	}
	wg.Wait()
	var warnings []string
	var starts []time.Time
	for i, p := range parts {
		if p.err != nil {
			return nil, nil, fmt.Errorf("report: %s: %w", runs[i].rawPath, p.err)
		}
		if p.warning != "" {
			warnings = append(warnings, p.warning)
		}
		if p.agg != nil {
			starts = append(starts, p.agg.Start())
		}
	}
	if len(starts) == 0 {
		return nil, warnings, errors.New("report: the raw results hold no result")
	}
	total := reports.NewAggregate(slices.MinFunc(starts, func(a, b time.Time) int { return a.Compare(b) }))
	for _, p := range parts {
		if p.agg == nil {
			continue
		}
		if err := total.Merge(p.agg); err != nil {
			return nil, nil, fmt.Errorf("report: %w", err)
		}
	}
	return total, warnings, nil
}

// readRawFile aggregates one raw results file. With no known start, the
// clock starts rawStartMargin before the first line's send, on a whole
// second. A truncated file yields its complete lines and a warning.
func readRawFile(ctx context.Context, path string, start time.Time) (*reports.Aggregate, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	sink := &lazyAggregate{start: start}
	n, err := scenarios.ReadRaw(ctx, f, sink)
	var truncated *scenarios.TruncatedError
	switch {
	case errors.As(err, &truncated):
		return sink.agg, fmt.Sprintf("%s is truncated at line %d (the run was probably interrupted while writing): "+
			"the report counts the %d complete results before it", path, truncated.Line, n), nil
	case err != nil:
		return nil, "", err
	}
	return sink.agg, "", nil
}

// lazyAggregate creates its aggregate at the first result, when the start
// was not known beforehand.
type lazyAggregate struct {
	start time.Time
	agg   *reports.Aggregate
}

func (l *lazyAggregate) Add(r *loadharness.Result) {
	if l.agg == nil {
		start := l.start
		if start.IsZero() {
			start = r.Sent.Truncate(time.Second).Add(-rawStartMargin)
		}
		l.agg = reports.NewAggregate(start)
	}
	l.agg.Add(r)
}

func (l *lazyAggregate) Close() error { return nil }

var _ loadharness.Sink = (*lazyAggregate)(nil)

// mergeRuns combines the inputs' summaries around the merged aggregate.
func mergeRuns(runs []*loadedRun, agg *reports.Aggregate) reports.ReportInput {
	var s reports.Summary
	var in reports.ReportInput
	asked := map[string]float64{}
	recorded := recordedValues{}
	type gateKey struct{ scenario, gate string }
	var gateOrder []gateKey
	gates := map[gateKey]loadharness.Gate{}
	var suites, providers []string
	wasInvalid := false
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
			s.Warnings = appendNew(s.Warnings, fmt.Sprintf("%s has no %s beside it: its gates, events and warnings are unknown", r.label, SummaryFile))
			continue
		}
		rs := r.summary
		suites = appendNew(suites, rs.Suite)
		providers = appendNew(providers, rs.Provider)
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
		if rs.Verdict == loadharness.VerdictInvalid {
			wasInvalid = true
		}
		s.Warnings = appendNew(s.Warnings, rs.Warnings...)
		s.Events = appendNewEvents(s.Events, rs.Events)
		for _, sc := range rs.Scenarios {
			asked[sc.Name] += sc.AskedRPS
		}
		for _, gr := range rs.Gates {
			g, err := loadharness.ParseGate(gr.Gate)
			if err != nil {
				s.Warnings = appendNew(s.Warnings, fmt.Sprintf("%s: gate %q no longer parses (%v): left out", r.label, gr.Gate, err))
				continue
			}
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
	slices.SortStableFunc(s.Events, func(a, b loadharness.Event) int { return a.At.Compare(b.At) })
	measurer := loadharness.Measurers{agg, recorded}
	for _, key := range gateOrder {
		s.Gates = append(s.Gates, gates[key].Evaluate(key.scenario, measurer))
	}
	s.Scenarios = reports.BuildScenarioSummaries(agg)
	for i := range s.Scenarios {
		s.Scenarios[i].AskedRPS = asked[s.Scenarios[i].Name]
	}
	s.Verdict = loadharness.Judge(s.Gates, len(s.InvalidReasons) > 0)
	in.Summary = s
	in.Aggregate = agg
	return in
}

// recordedValues answers the metrics raw results cannot: counters the
// target reported (serialization_errors, target:NAME), summed over the
// inputs since each shard's scrape covers its own share of the load; and
// the metrics measured around events (recovery_time, excess_errors, …),
// which need the actions' start times a summary does not keep, taken as
// the worst any input recorded, since shards share their events.
type recordedValues map[recordedKey][]float64

type recordedKey struct{ scenario, metric, step string }

func (r recordedValues) add(scenario string, g loadharness.Gate, v float64) {
	if g.Metric.FromTarget() || g.Metric.FromEvents() {
		k := recordedKey{scenario, g.Metric.Name, g.Step}
		r[k] = append(r[k], v)
	}
}

// Measure combines the recorded values of the metric on the scope.
func (r recordedValues) Measure(m loadharness.Metric, s loadharness.Scope) (float64, bool) {
	values, ok := r[recordedKey{s.Scenario, m.Name, s.Step}]
	if !ok || !(m.FromTarget() || m.FromEvents()) {
		return 0, false
	}
	if m.FromEvents() {
		return slices.Max(values), true
	}
	sum := 0.0
	for _, v := range values {
		sum += v
	}
	return sum, true
}

var _ loadharness.Measurer = recordedValues(nil)

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

// parseEnvironment reads environment.json.
func parseEnvironment(b []byte) (reports.Environment, error) {
	var env reports.Environment
	if err := json.Unmarshal(b, &env); err != nil {
		return reports.Environment{}, fmt.Errorf("read %s: %w", EnvironmentFile, err)
	}
	return env, nil
}

// parseTargetSamples reads target-metrics.json; samples without a time are
// dropped, since they cannot be placed on a chart.
func parseTargetSamples(b []byte) ([]reports.TargetSample, error) {
	var samples []reports.TargetSample
	if err := json.Unmarshal(b, &samples); err != nil {
		return nil, fmt.Errorf("read %s: %w", TargetMetricsFile, err)
	}
	return slices.DeleteFunc(samples, func(s reports.TargetSample) bool { return s.At.IsZero() }), nil
}

// finiteSamples drops the values JSON cannot hold (NaN, ±Inf), which a
// scrape of a broken exporter can yield.
func finiteSamples(samples []reports.TargetSample) []reports.TargetSample {
	out := make([]reports.TargetSample, len(samples))
	for i, s := range samples {
		values := make(map[string]float64, len(s.Values))
		for name, v := range s.Values {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				values[name] = v
			}
		}
		out[i] = reports.TargetSample{At: s.At, Values: values}
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeFileAtomic writes path through a temporary file and a rename, so a
// reader never sees half a report.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
