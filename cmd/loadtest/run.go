package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"loadharness"
	"loadharness/harness"
	"loadharness/harness/rundir"
	"loadharness/harness/stack"
	"loadharness/harness/stack/docker"
	"loadharness/harness/stack/external"
	"loadharness/harness/stack/process"
	"loadharness/reports"
	"loadharness/reports/promout"
	"loadharness/scenarios"
	"loadharness/scenarios/suite"
)

func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	suiteName := fs.String("suite", "default", "built-in suite name (see 'loadtest suites') or path to a suite YAML file")
	outDir := fs.String("out", "", "directory for summary.json, raw results and logs (default out/SUITE)")
	provider := fs.String("provider", "auto", "how the stack comes up: auto (docker when an engine answers and the images are built, else process), process, docker or external")
	redisImage := fs.String("redis-image", envOr("LOADHARNESS_REDIS_IMAGE", ""), "Redis image for the docker provider (default: "+docker.LocalRedisImage+" when built, else "+docker.DefaultRedisImage+")")
	targetImage := fs.String("target-image", envOr("LOADHARNESS_TARGET_IMAGE", docker.DefaultTargetImage), "target image for the docker provider")
	targetURL := fs.String("target", "", "base URL of your own service (with --provider external)")
	metricsURL := fs.String("metrics-url", "", "Prometheus endpoint of your service, for target: gates (with --provider external)")
	prometheusURL := fs.String("prometheus-url", "", "Prometheus HTTP API the suite's promql gates read (http://HOST:PORT), and the target's counters (serialization_errors, target:NAME) from the series of --prometheus-job; default: the stack's own, with prometheus: true")
	prometheusJob := fs.String("prometheus-job", harness.DefaultTargetJob, "the job label of the target's series in that Prometheus")
	targetBin := fs.String("target-bin", "", "path of the target binary for the process provider (default: next to loadtest, else bin/target)")
	quiet := fs.Bool("quiet", false, "no progress lines")
	baseline := fs.String("baseline", "", "a previous run directory or summary.json: compare this run with it at the end (as 'loadtest compare') and exit 1 on a regression beyond the noise")
	shard := fs.String("shard", "", "run only slice I/N of every scenario (I from 0, as JOB_COMPLETION_INDEX); merge the shards with 'loadtest report'")
	serviceVersion := fs.String("service-version", "", "version of the service under test, which the report and environment.json carry")
	startAt := fs.String("start-at", "", "RFC 3339 time to start the load at once the stack is up, so the shards of a run start together (at most 1h ahead)")
	var prom liveFlags
	fs.StringVar(&prom.listen, "prometheus-listen", "", "serve the run's live metrics at http://ADDR/metrics for a Prometheus to scrape while it runs (HOST:PORT, such as 127.0.0.1:9464)")
	fs.StringVar(&prom.remoteWrite, "remote-write", "", "push the run's live metrics to this Prometheus remote-write URL (such as http://127.0.0.1:9090/api/v1/write); what cannot be sent is dropped, counted and named in the summary's warnings, never a changed verdict")
	fs.DurationVar(&prom.interval, "remote-write-interval", promout.DefaultInterval, "how often --remote-write pushes")
	runIDFlag := fs.String("run-id", "", "name of the run in summary.json and in its live metrics' run_id label; the shards of one run give the same (default: its start time and a random suffix)")
	push := fs.String("push", "", "with --shard: send the run directory to 'loadtest collect' at this URL once the run ends (no shared volume needed)")
	positional, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return flagExit(fs, err, stderr)
	}
	if len(positional) == 1 && !isFlagSet(fs, "suite") {
		*suiteName = positional[0] // loadtest run FILE
	} else if len(positional) > 0 {
		fmt.Fprintf(stderr, "loadtest run: unexpected argument %q\n", positional[len(positional)-1])
		return loadharness.ExitHarness
	}
	s, err := suite.Load(*suiteName)
	if err == nil {
		s, err = shardSuite(s, *shard)
	}
	if err == nil {
		err = checkMeasurable(s, *provider, *targetURL, *metricsURL, *prometheusURL)
	}
	// Everything that can be checked is checked before a file is touched.
	if err == nil && *targetURL != "" {
		err = external.CheckURL("--target", *targetURL)
	}
	if err == nil && *metricsURL != "" {
		err = external.CheckURL("--metrics-url", *metricsURL)
	}
	if err == nil && *prometheusURL != "" {
		err = external.CheckURL("--prometheus-url", *prometheusURL)
	}
	if err == nil && *push != "" {
		err = checkPush(*push, *shard)
	}
	if err == nil && *runIDFlag != "" {
		err = checkRunID(*runIDFlag)
	}
	if err == nil && *baseline != "" {
		if _, statErr := os.Stat(*baseline); statErr != nil {
			err = fmt.Errorf("--baseline: %w", statErr)
		}
	}
	startTime, errStart := parseStartAt(*startAt, time.Now())
	prom.intervalSet = isFlagSet(fs, "remote-write-interval")
	if err = errors.Join(err, errStart, prom.check()); err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return loadharness.ExitHarness
	}
	if *outDir == "" {
		*outDir = filepath.Join("out", s.Name)
	}
	live := isTerminal(stdout)
	if len(s.Secrets) > 0 {
		stdout, stderr = redactWriter{stdout, s.Secrets}, redactWriter{stderr, s.Secrets}
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s loadtest: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	// The metrics' address is taken before anything starts: one in use
	// stops the run here, before any load.
	runID := *runIDFlag
	if runID == "" {
		runID = newRunID(time.Now())
	}
	metrics, err := startLiveMetrics(promout.Run{ID: runID, Suite: s.Name}, prom, logf)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return loadharness.ExitHarness
	}
	defer metrics.close()
	// What runs killed before their teardown left up goes first; this run
	// is recorded so that the next one can do the same for it.
	track, err := beginLedger(ctx, *outDir, logf)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return loadharness.ExitHarness
	}
	var teardownErr error
	defer func() {
		if teardownErr != nil {
			// What did not come down stays in the ledger, for the next run
			// to remove.
			logf("the stack did not come down cleanly (%v): the next run removes what is left", teardownErr)
			return
		}
		track.Done()
	}()
	// The run writes into a working directory and publishes it at its end
	// (rundir.Begin): a run that fails before any load leaves the previous
	// one untouched, and the previous one is kept as OUT.prev.
	work, stale, err := rundir.Begin(*outDir)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return loadharness.ExitHarness
	}
	if stale.Kept != "" {
		logf("kept the results of a run that died as %s (read them with `loadtest report %s --out DIR`)", stale.Kept, stale.Kept)
	}
	prov, err := chooseProvider(ctx, providerFlags{
		name: *provider, targetURL: *targetURL, metricsURL: *metricsURL, targetBin: *targetBin,
		redisImage: *redisImage, targetImage: *targetImage, outDir: work.Dir, track: track,
	}, stderr)
	if err != nil {
		work.Discard()
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return loadharness.ExitHarness
	}
	var progress io.Writer
	if !*quiet {
		progress = stdout
	}
	if !startTime.IsZero() {
		prov = startAtProvider{Provider: prov, at: startTime, logf: logf}
	}
	var comparison *reports.Comparison
	var baselineErr error
	summary, err := runSuite(ctx, s, prov, work.Dir, runFlags{
		progress: progress, live: live, logf: logf,
		// Only a URL the user typed may leave this machine.
		explicitTarget: *targetURL != "",
		teardownErr:    &teardownErr,
		serviceVersion: *serviceVersion,
		prometheusURL:  *prometheusURL,
		prometheusJob:  *prometheusJob,
		runID:          runID,
		metrics:        metrics,
		baseline:       *baseline, comparison: &comparison, baselineErr: &baselineErr, published: *outDir,
	})
	if _, statErr := os.Stat(filepath.Join(work.Dir, rundir.SummaryFile)); statErr != nil {
		// Nothing was measured (the stack would not start): the previous
		// run stays as it was; the stack's logs stay in the working
		// directory until the next run, to say why.
		if err == nil {
			work.Discard()
		} else {
			logf("nothing was measured; %s is as it was, and the stack's logs are in %s", *outDir, work.Dir)
			work.Leave()
		}
	} else if pubErr := work.Publish(); pubErr != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", pubErr)
		return loadharness.ExitHarness
	}
	switch {
	case errors.Is(err, harness.ErrInterrupted):
		fmt.Fprintf(stderr, "loadtest: %v; partial summary in %s\n", err, filepath.Join(*outDir, rundir.SummaryFile))
		return loadharness.ExitInterrupted
	case err != nil:
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return loadharness.ExitHarness
	}
	fmt.Fprintf(stdout, "summary: %s\n", filepath.Join(*outDir, rundir.SummaryFile))
	if *shard != "" {
		fmt.Fprintf(stdout, "shard %s: verdict %s is provisional; merge the shards with 'loadtest report DIR... --out DIR'\n", *shard, summary.Verdict)
	}
	if *push != "" {
		spec, _ := suite.ParseShard(*shard) // checked before the run
		if err := pushRun(ctx, *push, spec.Index, spec.Count, *outDir, logf); err != nil {
			fmt.Fprintf(stderr, "loadtest: %v; the shard's run stays in %s\n", err, *outDir)
			return loadharness.ExitHarness
		}
		fmt.Fprintf(stdout, "shard %s: sent to %s\n", *shard, *push)
	}
	code := shardExitCode(*shard != "", summary)
	if *baseline != "" {
		fmt.Fprintf(stdout, "\ncompared with the baseline %s:\n", *baseline)
		// A regression fails an otherwise passing run; a baseline that cannot
		// be read is the harness's problem; a failed or invalid verdict
		// stands. The comparison is the one the report shows.
		cmp := loadharness.ExitHarness
		switch {
		case baselineErr != nil:
			fmt.Fprintf(stderr, "loadtest: %v\n", baselineErr)
		case comparison == nil:
			fmt.Fprintln(stderr, "loadtest: baseline: nothing was compared")
		default:
			if werr := reports.WriteComparison(stdout, *comparison, reports.CompareText); werr != nil {
				fmt.Fprintf(stderr, "loadtest: %v\n", werr)
				break
			}
			cmp = 0
			if comparison.Regressions > 0 {
				cmp = exitRegression
			}
		}
		if code == 0 {
			code = cmp
		}
	}
	return code
}

// runFlags are the flags of a run that are not the suite's or the provider's.
type runFlags struct {
	progress       io.Writer
	live           bool
	logf           func(format string, args ...any)
	explicitTarget bool
	// teardownErr, when set, receives the stack's teardown error.
	teardownErr *error
	// serviceVersion is --service-version, for the report.
	serviceVersion string
	// prometheusURL is --prometheus-url, which the promql gates read.
	prometheusURL string
	// prometheusJob is --prometheus-job, the target's job there.
	prometheusJob string
	// runID names the run in its summary and its live metrics, which
	// metrics serves and pushes (nil without --prometheus-listen and
	// --remote-write).
	runID   string
	metrics *liveMetrics
	// baseline, when set, is a run to compare this one with before the
	// report is written; comparison and baselineErr receive the outcome.
	baseline    string
	comparison  **reports.Comparison
	baselineErr *error
	// published is where the run directory goes once complete, which
	// names the run in the comparison.
	published string
}

// runSuite brings the stack up, runs the suite on it with its raw results
// streaming into outDir/results.json, tears the stack down and writes the
// summary and the sign-off report into outDir. Whatever was measured before
// an interruption is written too.
func runSuite(ctx context.Context, s *suite.Suite, prov stack.Provider, outDir string, f runFlags) (reports.Summary, error) {
	sh := s.Stack
	inner := prov
	if w, ok := prov.(startAtProvider); ok {
		inner = w.Provider
	}
	if ext, ok := inner.(external.Provider); ok {
		// Nothing is started: the suite's stack shape does not apply.
		f.logf("run %s: load goes to your service at %s; nothing is started", f.runID, ext.URL)
	} else {
		f.logf("run %s: starting the stack: %d instance(s) × %d worker(s) × %d thread(s), sessions in %s, data sets in %s",
			f.runID, sh.Instances, sh.Workers, sh.Threads, sh.SessionStore, sh.DatasetStore)
	}
	st, err := harness.Up(ctx, prov, s, f.explicitTarget, f.logf)
	if err != nil {
		return reports.Summary{}, err
	}
	untrack := trackStack(st)
	defer untrack()
	defer func() {
		if err := closeStack(st, f.logf); err != nil && f.teardownErr != nil {
			*f.teardownErr = err
		}
	}()
	raw, err := rundir.CreateResults(outDir)
	if err != nil {
		return reports.Summary{}, err
	}
	if err := f.metrics.startRemoteWrite(f.logf); err != nil {
		raw.Close()
		return reports.Summary{}, err
	}
	res, runErr := harness.Run(ctx, s, st, append(f.metrics.options(),
		harness.WithSink(scenarios.NewRawWriter(raw)),
		harness.WithProgress(f.progress, f.live),
		harness.WithLogf(f.logf),
		harness.WithTargetSamples(harness.DefaultSampleInterval),
		harness.WithServiceVersion(f.serviceVersion),
		harness.WithPrometheus(f.prometheusURL), harness.WithTargetJob(f.prometheusJob))...)
	res.Summary.RunID = f.runID
	f.metrics.finish(ctx, &res.Summary, f.logf)
	if err := raw.Close(); err != nil {
		// Results written so far stay readable; the run says it is not whole.
		res.Summary.Complete = false
		if runErr == nil {
			runErr = fmt.Errorf("raw results: %w", err)
		}
	}
	if err := rundir.WriteSummary(outDir, res.Summary); err != nil {
		return res.Summary, errors.Join(runErr, err)
	}
	in := res.ReportInput()
	if f.baseline != "" && res.Aggregate != nil {
		c, err := rundir.CompareWithBaseline(ctx, f.baseline, f.published, in)
		*f.comparison, *f.baselineErr = c, err
		in.Baseline = c
	}
	if err := rundir.WriteArtefacts(outDir, in); err != nil {
		// The summary is written and the verdict stands: a report that fails
		// to render loses no figure, so it does not turn the exit code into 2.
		f.logf("WARNING: report not written: %v", err)
	}
	return res.Summary, runErr
}

// closeStack tears st down within 30 seconds, whatever ctx the run had,
// and says what failed.
func closeStack(st stack.Stack, logf func(string, ...any)) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.Close(ctx); err != nil {
		logf("tear down: %v", err)
		return err
	}
	return nil
}

// providerFlags are the flags that choose and configure the provider.
type providerFlags struct {
	name, targetURL, metricsURL, targetBin string
	redisImage, targetImage, outDir        string
	// track records the stack's processes and containers for crash recovery.
	track stack.Tracker
}

// chooseProvider turns the --provider flag into a Provider.
func chooseProvider(ctx context.Context, f providerFlags, stderr io.Writer) (stack.Provider, error) {
	name := f.name
	if f.targetURL != "" && name != "external" {
		if name != "auto" {
			return nil, fmt.Errorf("--target %s goes with --provider external, not %s", f.targetURL, name)
		}
		name = "external"
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "%s stack: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
	}
	dir := filepath.Join(f.outDir, rundir.StackDir)
	if name == "auto" {
		name = "process"
		if dockerReady(ctx, f) {
			name = "docker"
		}
		logf("provider auto: using %s", name)
	}
	switch name {
	case "external":
		if f.targetURL == "" {
			return nil, errors.New("--provider external needs --target URL (the service to load)")
		}
		return external.Provider{URL: f.targetURL, MetricsURL: f.metricsURL}, nil
	case "process":
		bin, err := findTargetBin(f.targetBin)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("stack directory: %w", err)
		}
		return &process.Provider{TargetBin: bin, Dir: dir, Logf: logf, Track: f.track}, nil
	case "docker":
		if !docker.Available(ctx) {
			return nil, errors.New("--provider docker: no Docker engine answers")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("stack directory: %w", err)
		}
		return &docker.Provider{RedisImage: redisImageFor(ctx, f), TargetImage: f.targetImage, Dir: dir, Logf: logf, Track: f.track}, nil
	default:
		return nil, fmt.Errorf("unknown --provider %q (want auto, process, docker or external)", name)
	}
}

// dockerReady reports whether the docker provider can run without pulling:
// an engine answers and both images are present locally.
func dockerReady(ctx context.Context, f providerFlags) bool {
	return docker.Available(ctx) &&
		docker.ImagePresent(ctx, f.targetImage) &&
		docker.ImagePresent(ctx, redisImageFor(ctx, f))
}

// redisImageFor is the --redis-image flag, else the locally built image when
// present (no registry here), else the public default.
func redisImageFor(ctx context.Context, f providerFlags) string {
	if f.redisImage != "" {
		return f.redisImage
	}
	if docker.ImagePresent(ctx, docker.LocalRedisImage) {
		return docker.LocalRedisImage
	}
	return docker.DefaultRedisImage
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// findTargetBin finds the target binary: the flag, else `target` beside
// this executable (make build puts both in bin/), else bin/target.
func findTargetBin(flagValue string) (string, error) {
	if flagValue != "" {
		if _, err := os.Stat(flagValue); err != nil {
			return "", fmt.Errorf("--target-bin: %w", err)
		}
		return flagValue, nil
	}
	candidates := []string{filepath.Join("bin", "target")}
	if self, err := os.Executable(); err == nil {
		candidates = append([]string{filepath.Join(filepath.Dir(self), "target")}, candidates...)
	}
	for _, c := range candidates {
		if st, err := os.Stat(c); err == nil && !st.IsDir() {
			return c, nil
		}
	}
	return "", errors.New("no target binary found (looked beside loadtest and in bin/): run `make build` or pass --target-bin")
}

// isTerminal reports whether w is a character device, where the progress
// line can be redrawn in place; pipes and files (CI logs) get plain lines.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// redactWriter writes through to w with the suite's secrets replaced: every
// line the harness prints may quote a URL, an error or a value.
type redactWriter struct {
	w       io.Writer
	secrets []string
}

// Write redacts p and reports it written whole.
func (r redactWriter) Write(p []byte) (int, error) {
	if _, err := io.WriteString(r.w, suite.Redact(string(p), r.secrets)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// isFlagSet reports whether the command line set the flag called name.
func isFlagSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
