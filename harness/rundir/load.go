package rundir

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"loadharness"
	"loadharness/reports"
	"loadharness/reports/aggregate"
	"loadharness/scenarios"
)

// rawStartMargin is how long before its first line a raw results file may
// hold a send: lines are written as responses complete, and no latency the
// aggregates keep is longer than 10 minutes.
const rawStartMargin = 10 * time.Minute

// Report regenerates every artefact of one or more runs from what they left
// on disk, without running anything: summary.json, report.html, report.md
// and charts, junit.xml, into outDir. Each input is a run directory
// (summary.json and results.json), a summary.json (its results.json beside
// it is used), or a raw results file. Several inputs merge into one report,
// as shards of one distributed run: see LoadRuns.
func Report(ctx context.Context, inputs []string, outDir string) (reports.Summary, error) {
	return ReportAgainst(ctx, inputs, outDir, "")
}

// ReportAgainst is Report with the report carrying a comparison with the
// run at baseline ("" for none), as 'loadtest compare' makes it with its
// default options.
func ReportAgainst(ctx context.Context, inputs []string, outDir, baseline string) (reports.Summary, error) {
	in, err := LoadRuns(ctx, inputs)
	if err != nil {
		return reports.Summary{}, err
	}
	if baseline != "" {
		if in.Baseline, err = CompareWithBaseline(ctx, baseline, strings.Join(inputs, " + "), in); err != nil {
			return in.Summary, err
		}
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return in.Summary, fmt.Errorf("report: %w", err)
	}
	if err := WriteSummary(outDir, in.Summary); err != nil {
		return in.Summary, fmt.Errorf("report: %w", err)
	}
	if err := WriteArtefacts(outDir, in); err != nil {
		return in.Summary, fmt.Errorf("report: %w", err)
	}
	return in.Summary, nil
}

// CompareWithBaseline compares the run in (named label) with the run at
// path, as 'loadtest compare' does with its default options.
func CompareWithBaseline(ctx context.Context, path, label string, in reports.ReportInput) (*reports.Comparison, error) {
	base, err := LoadRuns(ctx, []string{path})
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	c := reports.CompareSummaries(
		reports.CompareRun{Label: path, Summary: base.Summary, Aggregate: base.Aggregate},
		reports.CompareRun{Label: label, Summary: in.Summary, Aggregate: in.Aggregate},
		reports.CompareOptions{})
	return &c, nil
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
	// The only warnings of aggregateRuns are truncated raw files.
	in.Summary.Complete = in.Summary.Complete && len(warnings) == 0
	return in, nil
}

// loadedRun is one input: its summary and side files when present, and
// where its raw results are.
type loadedRun struct {
	// unfinished: a run directory with raw results and no summary.
	unfinished bool
	label      string
	summary    *reports.Summary
	rawPath    string
	env        *reports.Environment
	target     []reports.TargetSample
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
	// A run writes its summary last: a run directory without one is a run
	// that died first (OUT.partial, OUT.crashed-TIME).
	r.unfinished = r.summary == nil
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
func aggregateRuns(ctx context.Context, runs []*loadedRun) (*aggregate.Aggregate, []string, error) {
	type part struct {
		agg     *aggregate.Aggregate
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
	total := aggregate.New(slices.MinFunc(starts, func(a, b time.Time) int { return a.Compare(b) }))
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
func readRawFile(ctx context.Context, path string, start time.Time) (*aggregate.Aggregate, string, error) {
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
	agg   *aggregate.Aggregate
}

func (l *lazyAggregate) Add(r *loadharness.Result) {
	if l.agg == nil {
		start := l.start
		if start.IsZero() {
			start = r.Sent.Truncate(time.Second).Add(-rawStartMargin)
		}
		l.agg = aggregate.New(start)
	}
	l.agg.Add(r)
}

func (l *lazyAggregate) Close() error { return nil }

var _ loadharness.Sink = (*lazyAggregate)(nil)

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
