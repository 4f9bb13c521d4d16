// Command loadtest runs a suite of load scenarios against a stack it brings
// up (or a service the user points at), judges the suite's gates and writes
// the summary and raw results.
//
// Exit codes: 0 every gate passed · 1 a gate failed · 2 the harness could
// not run · 3 the run is invalid (generator-bound) · 130 interrupted.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"loadharness"
)

const usage = `loadtest: load-test and capacity-validate a web service

Usage:
  loadtest run FILE|--suite NAME [--out DIR] [--provider auto|process|docker|external] [--target URL] [--metrics-url URL] [--prometheus-url URL] [--prometheus-listen ADDR] [--remote-write URL]
  loadtest validate FILE|--suite NAME [--target URL] [--metrics-url URL] [--prometheus-url URL]
  loadtest capacity --suite NAME|FILE [--scenario NAME] [--by users|rate] [--grid workers=1,2,4 instances=1,2,3 [--cost ...]] [--before S --after S] [--out DIR]
  loadtest report DIR|RESULTS-FILE... [--out DIR]
  loadtest collect --shards N --out DIR [--listen ADDR]   (the shards send with: run --shard I/N --push URL)
  loadtest compare BASELINE [BASELINE...] NEW [--format text|markdown|json]
  loadtest export vegeta DIR|RESULTS-FILE [--scenario NAME] [--phases main|all|LIST] [-o FILE]
  loadtest init [--target URL] [FILE]
  loadtest import-har FILE.har [-o SUITE.yaml] [--host HOST]... [--include-assets] [--name NAME] [--force]
  loadtest schema suite|summary
  loadtest suites
  loadtest version

Run 'loadtest run -h' for the flags of run.
Exit codes: 0 pass, 1 a gate failed, 2 the harness could not run, 3 invalid run, 130 interrupted.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return loadharness.ExitHarness
	}
	ctx, stop := interruptContext(stderr)
	defer stop()
	switch args[0] {
	case "run":
		return cmdRun(ctx, args[1:], stdout, stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "capacity":
		return cmdCapacity(ctx, args[1:], stdout, stderr)
	case "report":
		return cmdReport(ctx, args[1:], stdout, stderr)
	case "collect":
		return cmdCollect(ctx, args[1:], stdout, stderr)
	case "compare":
		return cmdCompare(ctx, args[1:], stdout, stderr)
	case "export":
		return cmdExport(ctx, args[1:], stdout, stderr)
	case "init":
		return cmdInit(args[1:], stdout, stderr)
	case "import-har":
		return cmdImportHAR(ctx, args[1:], stdout, stderr)
	case "schema":
		return cmdSchema(args[1:], stdout, stderr)
	case "suites":
		return cmdSuites(stdout)
	case "version":
		fmt.Fprintln(stdout, "loadtest", version())
		return 0
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "loadtest: unknown command %q\n\n%s", args[0], usage)
		return loadharness.ExitHarness
	}
}

// interruptContext turns the first SIGINT or SIGTERM into a cancel, so the
// run writes its partial summary and tears the stack down; a second signal
// tears the stack down fast (emergencyTeardown) and exits, never leaving
// an orphan behind.
func interruptContext(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			fmt.Fprintf(stderr, "\nloadtest: %s: stopping; writing the partial summary and tearing the stack down (send again to exit at once)\n", sig)
			cancel(errInterrupted)
		case <-done:
			return
		}
		select {
		case <-sigs:
			fmt.Fprintln(stderr, "loadtest: second signal: tearing the stack down fast, then exiting")
			emergencyTeardown(stderr)
			os.Exit(loadharness.ExitInterrupted)
		case <-done:
		}
	}()
	return ctx, func() { close(done); signal.Stop(sigs); cancel(nil) }
}

var errInterrupted = errors.New("interrupted")
