package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"loadharness"
	"loadharness/harness"
	"loadharness/harness/capacity"
	"loadharness/harness/rundir"
	"loadharness/harness/stack"
	"loadharness/harness/stack/docker"
	"loadharness/harness/stack/external"
	"loadharness/reports"
	"loadharness/reports/charts"
	"loadharness/scenarios/suite"
)

// Shorter steps for a grid, which makes one search per shape: a 3×3 grid
// ends in minutes rather than half an hour.
const (
	gridWarmup     = time.Second
	gridStep       = 3 * time.Second
	gridConfirm    = 6 * time.Second
	gridResolution = 0.2
)

// gridFlag collects --grid values (repeatable).
type gridFlag []string

// String and Set make gridFlag a flag.Value.
func (g *gridFlag) String() string     { return strings.Join(*g, " ") }
func (g *gridFlag) Set(v string) error { *g = append(*g, v); return nil }

func cmdCapacity(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest capacity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	suiteName := fs.String("suite", "default", "built-in suite name or path to a suite YAML file")
	scenario := fs.String("scenario", "", "scenario whose capacity is searched (default: the suite's first; with --before/--after, the first both suites have)")
	by := fs.String("by", "", "what the search varies: users (closed model) or rate (open model); default: the scenario's own model")
	outDir := fs.String("out", "", "directory for capacity.json and capacity.csv (default out/capacity-SUITE)")
	provider := fs.String("provider", "auto", "how the stack comes up: auto (docker when an engine answers and the images are built, else process), process, docker or external")
	targetURL := fs.String("target", "", "base URL of your own service (with --provider external)")
	metricsURL := fs.String("metrics-url", "", "Prometheus endpoint of your service (with --provider external)")
	prometheusURL := fs.String("prometheus-url", "", "Prometheus HTTP API the suite's promql gates read at each step (default: the stack's own, with prometheus: true)")
	targetBin := fs.String("target-bin", "", "path of the target binary for the process provider (default: next to loadtest, else bin/target)")
	redisImage := fs.String("redis-image", envOr("LOADHARNESS_REDIS_IMAGE", ""), "Redis image for the docker provider")
	targetImage := fs.String("target-image", envOr("LOADHARNESS_TARGET_IMAGE", docker.DefaultTargetImage), "target image for the docker provider")
	start := fs.Float64("start", 0, "first load tried (default: the scenario's own users or rate)")
	maxLoad := fs.Float64("max", 0, "highest load tried (default 5000 users or 20000/s)")
	resolution := fs.Float64("resolution", capacity.DefaultResolution, "stop bisecting when [last pass, first fail] is narrower than this share of the last pass")
	warmup := fs.Duration("warmup", capacity.DefaultStepWarmup, "warm-up of each step")
	step := fs.Duration("step", capacity.DefaultStepDuration, "measured duration of each step")
	confirm := fs.Duration("confirm", capacity.DefaultConfirmDuration, "measured duration of the run that confirms the capacity")
	var grid gridFlag
	fs.Var(&grid, "grid", `shapes to measure, e.g. "workers=1,2,4 instances=1,2,3" (repeatable); gives the seed's formula next to each`)
	cost := fs.String("cost", "", `prices and loads for the fleet, e.g. "instance_monthly=47.5,redis_monthly=25,target_users=100,peak_users=200" (with --grid)`)
	before := fs.String("before", "", "suite of the shape before (with --after): both run side by side")
	after := fs.String("after", "", "suite of the shape after (with --before)")
	skipSearch := fs.Bool("no-search", false, "with --before/--after: run both suites but search neither capacity")
	quiet := fs.Bool("quiet", false, "no progress lines")
	// `--grid workers=1,2,4 instances=1,2,3`: the second axis arrives as an
	// argument, and the flags after it must still be read.
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return flagExit(fs, err, stderr)
		}
		if rest = fs.Args(); len(rest) == 0 {
			break
		}
		if len(grid) == 0 || !strings.Contains(rest[0], "=") {
			fmt.Fprintf(stderr, "loadtest capacity: unexpected argument %q\n", rest[0])
			return loadharness.ExitHarness
		}
		grid = append(grid, rest[0])
		rest = rest[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	search := capacity.SearchOptions{Start: *start, Max: *maxLoad, Resolution: *resolution, Warmup: *warmup, Step: *step, Confirm: *confirm}
	var progress io.Writer
	if !*quiet {
		progress = stdout
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s loadtest: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	track, err := beginLedger(ctx, *outDir, logf)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest capacity: %v\n", err)
		return loadharness.ExitHarness
	}
	var teardownErr error
	defer func() {
		if teardownErr != nil {
			// What did not come down stays in the ledger, for the next run
			// to remove.
			logf("a stack did not come down cleanly (%v): the next run removes what is left", teardownErr)
			return
		}
		track.Done()
	}()
	pf := providerFlags{name: *provider, targetURL: *targetURL, metricsURL: *metricsURL, targetBin: *targetBin,
		redisImage: *redisImage, targetImage: *targetImage, track: track}
	c := capacityCmd{ctx: ctx, stdout: stdout, stderr: stderr, progress: progress, logf: logf, pf: pf,
		scenario: *scenario, by: capacity.LoadAxis(*by), search: search, explicit: *targetURL != "", prometheusURL: *prometheusURL,
		teardownFailed: func(err error) { teardownErr = errors.Join(teardownErr, err) }}

	switch {
	case *before != "" || *after != "":
		if *before == "" || *after == "" {
			fmt.Fprintln(stderr, "loadtest capacity: --before and --after go together")
			return loadharness.ExitHarness
		}
		return c.compare(*before, *after, *outDir, *skipSearch)
	case len(grid) > 0:
		g, err := capacity.ParseGrid(grid...)
		if err != nil {
			fmt.Fprintf(stderr, "loadtest capacity: %v\n", err)
			return loadharness.ExitHarness
		}
		var price *capacity.Cost
		if *cost != "" {
			parsed, err := capacity.ParseCost(*cost)
			if err != nil {
				fmt.Fprintf(stderr, "loadtest capacity: %v\n", err)
				return loadharness.ExitHarness
			}
			price = &parsed
		}
		c.search = shortForGrid(c.search, set)
		return c.grid(*suiteName, *outDir, g, price)
	case *cost != "":
		fmt.Fprintln(stderr, "loadtest capacity: --cost needs --grid (the fleet is sized from the shapes measured)")
		return loadharness.ExitHarness
	}
	return c.single(*suiteName, *outDir)
}

// shortForGrid shortens the steps the user did not set: a grid is many searches.
func shortForGrid(o capacity.SearchOptions, set map[string]bool) capacity.SearchOptions {
	if !set["warmup"] {
		o.Warmup = gridWarmup
	}
	if !set["step"] {
		o.Step = gridStep
	}
	if !set["confirm"] {
		o.Confirm = gridConfirm
	}
	if !set["resolution"] {
		o.Resolution = gridResolution
	}
	return o
}

// capacityCmd is the wiring shared by the three modes of `loadtest capacity`.
type capacityCmd struct {
	ctx            context.Context
	stdout, stderr io.Writer
	progress       io.Writer
	logf           func(string, ...any)
	pf             providerFlags
	scenario       string
	by             capacity.LoadAxis
	search         capacity.SearchOptions
	// explicit says the user named the target (--target).
	explicit bool
	// prometheusURL is --prometheus-url, which the promql gates read.
	prometheusURL string
	// teardownFailed hears of a stack that did not come down, so that the
	// run's ledger record is kept for the next run to clean up.
	teardownFailed func(error)
}

// single searches one scenario's capacity on the suite's shape.
func (c capacityCmd) single(suiteName, outDir string) int {
	s, dir, code := c.prepare(suiteName, outDir, "capacity-")
	if s == nil {
		return code
	}
	prov, err := c.provider(dir)
	if err != nil {
		return c.fail(err)
	}
	res, err := capacity.Search(c.ctx, capacity.Config{Suite: s, Scenario: c.scenario, By: c.by,
		Provider: prov, Search: c.search, Progress: c.progress, Logf: c.logf, ExplicitTarget: c.explicit, TeardownFailed: c.teardownFailed,
		PrometheusURL: c.prometheusURL})
	if len(res.Curve) > 0 {
		fmt.Fprintln(c.stdout)
		if werr := capacity.WriteTable(c.stdout, res); werr != nil {
			c.logf("%v", werr)
		}
		werr := errors.Join(
			writeFile(filepath.Join(dir, rundir.CapacityJSONFile), func(w io.Writer) error { return capacity.WriteJSON(w, res) }),
			writeFile(filepath.Join(dir, rundir.CapacityCSVFile), func(w io.Writer) error { return capacity.WriteCSV(w, res) }))
		if werr != nil {
			return c.fail(werr)
		}
		// The figures are written; a chart that fails to draw loses none of them.
		if chart, cerr := capacity.Chart(res); cerr != nil {
			c.logf("WARNING: capacity chart not drawn: %v", cerr)
		} else if cerr := errors.Join(
			writeFile(filepath.Join(dir, rundir.CapacityPNGFile), func(w io.Writer) error { return chart.Render(w, charts.PNG) }),
			writeFile(filepath.Join(dir, rundir.CapacitySVGFile), func(w io.Writer) error { return chart.Render(w, charts.SVG) })); cerr != nil {
			return c.fail(fmt.Errorf("write capacity chart: %w", cerr))
		}
		fmt.Fprintf(c.stdout, "capacity: %s\n", filepath.Join(dir, rundir.CapacityJSONFile))
	}
	if code, done := c.ended(err); done {
		return code
	}
	if res.Capacity == 0 || !res.Confirmed {
		return loadharness.ExitFail
	}
	return loadharness.ExitPass
}

// grid measures every shape and sets the seed's formula beside each.
func (c capacityCmd) grid(suiteName, outDir string, g capacity.Grid, cost *capacity.Cost) int {
	s, dir, code := c.prepare(suiteName, outDir, "capacity-plan-")
	if s == nil {
		return code
	}
	prov, err := c.provider(dir)
	if err != nil {
		return c.fail(err)
	}
	res, err := capacity.RunGrid(c.ctx, capacity.GridConfig{
		Capacity: capacity.Config{Suite: s, Scenario: c.scenario, By: c.by, Provider: prov,
			Search: c.search, Progress: c.progress, Logf: c.logf, ExplicitTarget: c.explicit, TeardownFailed: c.teardownFailed,
			PrometheusURL: c.prometheusURL},
		Grid: g, Cost: cost,
	})
	if len(res.Shapes) > 0 {
		fmt.Fprintln(c.stdout)
		if werr := capacity.WriteGridTable(c.stdout, res); werr != nil {
			c.logf("%v", werr)
		}
		werr := errors.Join(
			writeFile(filepath.Join(dir, rundir.GridJSONFile), func(w io.Writer) error { return reports.WriteJSON(w, res) }),
			writeFile(filepath.Join(dir, rundir.GridCSVFile), func(w io.Writer) error { return capacity.WriteGridCSV(w, res) }))
		if werr != nil {
			return c.fail(werr)
		}
		fmt.Fprintf(c.stdout, "capacity plan: %s\n", filepath.Join(dir, rundir.GridJSONFile))
	}
	if code, done := c.ended(err); done {
		return code
	}
	return loadharness.ExitPass
}

// compare runs the shape before and the shape after side by side.
func (c capacityCmd) compare(beforeName, afterName, outDir string, skipSearch bool) int {
	before, err := suite.Load(beforeName)
	if err != nil {
		return c.fail(err)
	}
	after, err := suite.Load(afterName)
	if err != nil {
		return c.fail(err)
	}
	// Both sides are checked as a single search's suite is, before either
	// stack starts: a gate neither could measure would only fail late.
	for _, s := range []*suite.Suite{before, after} {
		if err := checkMeasurable(s, c.pf.name, c.pf.targetURL, c.pf.metricsURL, c.prometheusURL); err != nil {
			return c.fail(err)
		}
	}
	if outDir == "" {
		outDir = filepath.Join("out", "compare-"+before.Name+"-"+after.Name)
	}
	scenario := c.scenario
	if scenario == "" && !skipSearch {
		for _, sc := range after.Scenarios {
			if before.Scenario(sc.Name) != nil {
				scenario = sc.Name
				break
			}
		}
	}
	if skipSearch {
		scenario = ""
	}
	res, err := capacity.CompareShapes(c.ctx, capacity.CompareConfig{
		Before: before, After: after, Scenario: scenario, By: c.by, Search: c.search,
		Progress: c.progress, Logf: c.logf, ExplicitTarget: c.explicit, TeardownFailed: c.teardownFailed,
		PrometheusURL: c.prometheusURL,
		Provider:      func(side string) (stack.Provider, error) { return c.provider(filepath.Join(outDir, side)) },
	})
	if len(res.Criteria) > 0 {
		fmt.Fprintln(c.stdout)
		if werr := capacity.WriteComparison(c.stdout, res); werr != nil {
			c.logf("%v", werr)
		}
		if werr := writeFile(filepath.Join(outDir, rundir.CompareJSONFile), func(w io.Writer) error { return reports.WriteJSON(w, res) }); werr != nil {
			return c.fail(werr)
		}
		fmt.Fprintf(c.stdout, "comparison: %s\n", filepath.Join(outDir, rundir.CompareJSONFile))
	}
	if code, done := c.ended(err); done {
		return code
	}
	return loadharness.ExitPass
}

// prepare loads the suite and makes the output directory.
func (c capacityCmd) prepare(suiteName, outDir, prefix string) (*suite.Suite, string, int) {
	s, err := suite.Load(suiteName)
	if err == nil {
		err = checkMeasurable(s, c.pf.name, c.pf.targetURL, c.pf.metricsURL, c.prometheusURL)
	}
	if err == nil && c.prometheusURL != "" {
		err = external.CheckURL("--prometheus-url", c.prometheusURL)
	}
	if err != nil {
		return nil, "", c.fail(err)
	}
	if outDir == "" {
		outDir = filepath.Join("out", prefix+s.Name)
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return nil, "", c.fail(fmt.Errorf("output directory: %w", err))
	}
	return s, outDir, 0
}

// provider chooses the provider with its stack files under dir.
func (c capacityCmd) provider(dir string) (stack.Provider, error) {
	pf := c.pf
	pf.outDir = dir
	return chooseProvider(c.ctx, pf, c.stderr)
}

// ended maps a mode's error to its exit code; done is false when there was none.
func (c capacityCmd) ended(err error) (int, bool) {
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, harness.ErrInterrupted) || c.ctx.Err() != nil:
		fmt.Fprintf(c.stderr, "loadtest: %v\n", err)
		return loadharness.ExitInterrupted, true
	default:
		return c.fail(err), true
	}
}

func (c capacityCmd) fail(err error) int {
	fmt.Fprintf(c.stderr, "loadtest: %v\n", err)
	return loadharness.ExitHarness
}

// writeFile writes path through write, reporting the first error.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
