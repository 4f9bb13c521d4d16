package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
)

// goBenchmarks are the hot paths' Go benchmarks: targeting a user's next
// request, sending it, recording its result, evaluating gates. Figures, not
// assertions: compare runs with benchstat.
const goBenchmarks = `^Benchmark(Evaluate|NextRequest|Exchange|Targeter|TransportRoundTrip|ConvertResult|AggregateAdd|Measure)$`

// goBenchPackages hold them.
var goBenchPackages = []string{".", "./scenarios", "./reports/aggregate"}

// benchGo runs the hot paths' Go benchmarks briefly, allocations reported.
func benchGo(ctx context.Context) error {
	args := append([]string{"go", "test", "-run=^$", "-bench=" + goBenchmarks, "-benchtime=200ms", "-benchmem"}, goBenchPackages...)
	printCommand(args)
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go test -bench: %w", err)
	}
	return nil
}
