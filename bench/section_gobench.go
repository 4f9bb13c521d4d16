package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
)

// goBenchmarks are the hot paths' Go benchmarks: targeting a user's next
// request, sending it, recording its result, evaluating gates. Figures, not
// assertions: compare runs with benchstat.
const goBenchmarks = `^Benchmark(Evaluate|NextRequest|Exchange|Targeter|TransportRoundTrip|ConvertResult|AggregateAdd|AggregateAddInOrder|Measure|SnapshotWhileAdding)$`

// goBenchPackages hold them.
var goBenchPackages = []string{".", "./scenarios", "./reports/aggregate"}

// benchGo runs the hot paths' Go benchmarks briefly, allocations reported,
// and takes Aggregate.Add's cost for the ratios line from
// BenchmarkAggregateAddInOrder (results in the order a run delivers them,
// at 1000/s and at 10000/s).
func benchGo(ctx context.Context, sum *summary) error {
	args := append([]string{"go", "test", "-run=^$", "-bench=" + goBenchmarks, "-benchtime=200ms", "-benchmem"}, goBenchPackages...)
	printCommand(args)
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = io.MultiWriter(os.Stdout, &out), os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test -bench: %w", err)
	}
	add, err := parseAddNS(out.String())
	if err != nil {
		return err
	}
	sum.addNS, sum.addMeasured = add, true
	fmt.Printf("  Aggregate.Add in run order: %.0f ns at 1000/s, %.0f ns at 10000/s (aim ≤ 250 ns, 0 allocs)\n", add[0], add[1])
	return nil
}

// addLine matches BenchmarkAggregateAddInOrder's result lines.
var addLine = regexp.MustCompile(`(?m)^BenchmarkAggregateAddInOrder/rate=(1000|10000)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op`)

// parseAddNS returns the ns/op at 1000/s and at 10000/s from go test's
// output.
func parseAddNS(out string) ([2]float64, error) {
	var ns [2]float64
	var seen [2]bool
	for _, m := range addLine.FindAllStringSubmatch(out, -1) {
		v, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			return ns, fmt.Errorf("BenchmarkAggregateAddInOrder: %q: %w", m[0], err)
		}
		i := 0
		if m[1] == "10000" {
			i = 1
		}
		ns[i], seen[i] = v, true
	}
	if !seen[0] || !seen[1] {
		return ns, fmt.Errorf("BenchmarkAggregateAddInOrder: no figure for both rates in go test's output")
	}
	return ns, nil
}
