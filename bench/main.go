// Command bench measures the harness itself: its throughput next to Vegeta's
// attacker and wrk on one trivial handler, the accuracy of its percentiles
// against a handler of known latency, the memory of its aggregates over ten
// million results, and how long `make loadtest` takes to reach a verdict.
// It ends with one line of ratios, for a quick look and for CI logs:
//
//	ratios: harness/vegeta=X.XX harness/wrk=X.XX p99_error=X.X% heap_10M=XMiB open/vegeta=[>]X.XX lag_p99_us=N add_ns=N/N
//
// Run it with `make bench` (or `go run ./bench`); -sections picks parts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// sectionNames are the parts of a bench run, in the order they run;
// defaultSections those a plain `make bench` runs (the soak takes ten
// minutes: `make soak`).
var (
	sectionNames    = []string{"throughput", "open", "lag", "accuracy", "memory", "verdict", "gobench", "soak"}
	defaultSections = []string{"throughput", "open", "lag", "accuracy", "memory", "verdict", "gobench"}
)

// config is what the flags set.
type config struct {
	sections  []string
	users     int
	duration  time.Duration
	rounds    int
	results   int
	suite     string
	providers []string
	// soak is how long the soak section holds its load.
	soak time.Duration
	// profile, when set, is the folder the CPU and allocation profiles of
	// the throughput sections go to (bench-out/profiles by default).
	profile string
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "serve":
			exitOn(serve())
			return
		case "memory-child":
			exitOn(memoryChild(os.Args[2:]))
			return
		}
	}
	var cfg config
	sections := flag.String("sections", strings.Join(defaultSections, ","), "parts to run, comma-separated: "+strings.Join(sectionNames, ", "))
	flag.IntVar(&cfg.users, "users", 100, "concurrent users (connections) of the throughput runs")
	flag.DurationVar(&cfg.duration, "duration", 12*time.Second, "time each generator drives the server in the throughput part, in all")
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds the throughput part splits each generator's time into, taking turns")
	flag.IntVar(&cfg.results, "results", 10_000_000, "synthetic results the memory part aggregates (and a tenth of them, to compare)")
	flag.StringVar(&cfg.suite, "suite", "default", "suite the time-to-verdict part runs")
	providers := flag.String("providers", "process,docker", "stack providers whose start time is measured (docker only when an engine answers and the images are built)")
	flag.DurationVar(&cfg.soak, "soak", 10*time.Minute, "how long the soak section holds its load")
	flag.StringVar(&cfg.profile, "profiles", filepath.Join("bench-out", "profiles"), "`folder` for CPU and allocation profiles of the in-process generators in the throughput and open sections (\"\" for none)")
	flag.Parse()
	for _, s := range strings.Split(*sections, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		if !slices.Contains(sectionNames, s) {
			fmt.Fprintf(os.Stderr, "bench: unknown section %q (want %s)\n", s, strings.Join(sectionNames, ", "))
			os.Exit(2)
		}
		cfg.sections = append(cfg.sections, s)
	}
	cfg.providers = strings.Split(*providers, ",")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// exitOn ends a child role, with status 1 on error.
func exitOn(err error) {
	if err != nil {
		fmt.Fprintf(os.Stderr, "bench: %v\n", err)
		os.Exit(1)
	}
}

// summary collects the figures of the closing ratios line; NaN-free: a
// figure not measured prints as n/a.
type summary struct {
	harnessRPS, vegetaRPS, wrkRPS float64
	p99Error                      float64
	p99Measured                   bool
	heap10M                       uint64
	heapMeasured                  bool
	// lagP99 is the open model's generator lag p99 at 1000/s (a bucket bound).
	lagP99      time.Duration
	lagMeasured bool
	// openHarness and openVegeta are the highest rates each held in the
	// open section with the lag bound, openRate* by rate alone.
	openHarness, openVegeta         float64
	openRateHarness, openRateVegeta float64
	// openVegetaFailed is the lowest rate Vegeta failed under the lag
	// rule: with openVegeta 0, it held none down to it.
	openVegetaFailed float64
	// addNS is BenchmarkAggregateAddInOrder's ns/op at 1000/s and 10000/s.
	addNS       [2]float64
	addMeasured bool
	// soakRSS is the soak's resident memory at its end over its start.
	soakRSS      float64
	soakMeasured bool
}

// ratiosLine is the last line of a run.
func (s summary) ratiosLine() string {
	p99 := "n/a"
	if s.p99Measured {
		p99 = strconv.FormatFloat(100*s.p99Error, 'f', 1, 64) + "%"
	}
	heap := "n/a"
	if s.heapMeasured {
		heap = strconv.FormatUint((s.heap10M+(1<<19))>>20, 10) + "MiB"
	}
	line := fmt.Sprintf("ratios: harness/vegeta=%s harness/wrk=%s p99_error=%s heap_10M=%s",
		ratioText(s.harnessRPS, s.vegetaRPS), ratioText(s.harnessRPS, s.wrkRPS), p99, heap)
	if s.openHarness > 0 || s.openVegeta > 0 || s.openRateHarness > 0 {
		line += " open/vegeta=" + openRatio(s.openHarness, s.openVegeta, s.openVegetaFailed) +
			" open_rate/vegeta=" + ratioText(s.openRateHarness, s.openRateVegeta)
	}
	if s.lagMeasured {
		line += " lag_p99_us=" + strconv.FormatInt(s.lagP99.Microseconds(), 10)
	}
	if s.addMeasured {
		line += fmt.Sprintf(" add_ns=%.0f/%.0f", s.addNS[0], s.addNS[1])
	}
	if s.soakMeasured {
		line += " soak_rss_end/start=" + strconv.FormatFloat(s.soakRSS, 'f', 2, 64)
	}
	return line
}

// run runs the chosen sections and prints the ratios line. A section that
// fails is reported and the others still run, so that one broken part
// (a build error in `make loadtest`) does not hide every other figure; the
// error is returned at the end.
func run(ctx context.Context, cfg config) error {
	began := time.Now()
	printMachine()
	var sum summary
	var errs []error
	for _, name := range cfg.sections {
		if ctx.Err() != nil {
			errs = append(errs, ctx.Err())
			break
		}
		section(name)
		var err error
		switch name {
		case "throughput":
			err = benchThroughput(ctx, cfg, &sum)
		case "open":
			err = benchOpen(ctx, cfg, &sum)
		case "lag":
			err = benchLag(ctx, &sum)
		case "accuracy":
			err = benchAccuracy(ctx, &sum)
		case "memory":
			err = benchMemory(ctx, cfg, &sum)
		case "verdict":
			err = benchVerdict(ctx, cfg)
		case "gobench":
			err = benchGo(ctx, &sum)
		case "soak":
			err = benchSoak(ctx, cfg, &sum)
		}
		if err != nil {
			err = fmt.Errorf("%s: %w", name, err)
			fmt.Printf("  FAILED: %v\n", err)
			errs = append(errs, err)
		}
	}
	fmt.Printf("\nbench took %s\n", time.Since(began).Round(100*time.Millisecond))
	fmt.Println(sum.ratiosLine())
	return errors.Join(errs...)
}
