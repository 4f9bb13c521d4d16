package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
)

// goBenchmarks are the hot paths' Go benchmarks: targeting a user's next
// request, sending it, recording its result, evaluating gates. Figures, not
// assertions: compare runs with benchstat.
const goBenchmarks = `^Benchmark(Evaluate|NextRequest|Exchange|Targeter|TransportRoundTrip|ConvertResult|AggregateAdd|Measure|SnapshotWhileAdding)$`

// goBenchPackages hold them.
var goBenchPackages = []string{".", "./scenarios", "./reports/aggregate"}

// benchGo runs the hot paths' Go benchmarks briefly, allocations reported,
// and takes Aggregate.Add's cost for the ratios line from
// BenchmarkAggregateAddInOrder (results in the order a run delivers them,
// at 1000/s and at 10000/s).
func benchGo(ctx context.Context, sum *summary) error {
	args := append([]string{"go", "test", "-run=^$", "-bench=" + goBenchmarks, "-benchtime=200ms", "-benchmem"}, goBenchPackages...)
	if err := runGoBench(ctx, args, nil); err != nil {
		return err
	}
	// Add's figure for the ratios line gets longer runs, three of each:
	// 200ms is mostly the aggregate's first pass through its seconds.
	var out bytes.Buffer
	args = []string{"go", "test", "-run=^$", "-bench=^BenchmarkAggregateAddInOrder$", "-benchtime=2s", "-count=3", "-benchmem", "./reports/aggregate"}
	if err := runGoBench(ctx, args, &out); err != nil {
		return err
	}
	add, err := parseAddNS(out.String())
	if err != nil {
		return err
	}
	sum.addNS, sum.addMeasured = add, true
	fmt.Printf("  Aggregate.Add in run order, median of 3: %.0f ns at 1000/s, %.0f ns at 10000/s (aim ≤ 250 ns, 0 allocs)\n", add[0], add[1])
	return nil
}

// runGoBench runs go test's benchmarks, printing their output as it comes
// and copying it to out when set.
func runGoBench(ctx context.Context, args []string, out io.Writer) error {
	printCommand(args)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if out != nil {
		cmd.Stdout = io.MultiWriter(os.Stdout, out)
	}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test -bench: %w", err)
	}
	return nil
}

// addLine matches BenchmarkAggregateAddInOrder's result lines.
var addLine = regexp.MustCompile(`(?m)^BenchmarkAggregateAddInOrder/rate=(1000|10000)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op`)

// parseAddNS returns the median ns/op at 1000/s and at 10000/s from go
// test's output (of -count runs).
func parseAddNS(out string) ([2]float64, error) {
	var runs [2][]float64
	for _, m := range addLine.FindAllStringSubmatch(out, -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return [2]float64{}, fmt.Errorf("BenchmarkAggregateAddInOrder: %q: %w", m[0], err)
		}
		i := 0
		if m[1] == "10000" {
			i = 1
		}
		runs[i] = append(runs[i], v)
	}
	var ns [2]float64
	for i, r := range runs {
		if len(r) == 0 {
			return ns, fmt.Errorf("BenchmarkAggregateAddInOrder: no figure for both rates in go test's output")
		}
		slices.Sort(r)
		ns[i] = r[len(r)/2]
	}
	return ns, nil
}
