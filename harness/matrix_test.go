package harness_test

import (
	"context"
	"os/exec"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness"
)

// truthMatrix is the verdict-truth matrix: the known-bad shapes the seed
// fears, each of which must fail the gate that names its fault, a run the
// generator cannot drive, which must be invalid, and the healthy shape,
// which must pass every time.
var truthMatrix = []harness.MatrixCase{
	{Name: "memory-sessions-2-workers", Suite: "testdata/matrix/memory-workers.yaml",
		Want: loadharness.VerdictFail, Gate: "sessions_lost == 0"},
	{Name: "file-datasets-2-instances", Suite: "testdata/matrix/file-datasets.yaml",
		Want: loadharness.VerdictFail, Gate: "sessions_lost == 0"},
	{Name: "1-worker-1-thread-100-users", Suite: "testdata/matrix/one-thread.yaml",
		Want: loadharness.VerdictFail, Gate: "p95 < 500ms"},
	{Name: "large-datasets-in-session", Suite: "testdata/matrix/large-datasets.yaml",
		Want: loadharness.VerdictFail, Gate: "serialization_errors == 0"},
	{Name: "instance-killed-local-sessions", Suite: "testdata/matrix/kill-local-sessions.yaml",
		Want: loadharness.VerdictFail, Gate: "sessions_lost == 0"},
	{Name: "generator-starved", Suite: "testdata/matrix/generator-starved.yaml",
		Want: loadharness.VerdictInvalid},
	{Name: "healthy", Suite: "testdata/matrix/healthy.yaml",
		Want: loadharness.VerdictPass, Runs: 5},
}

// TestVerdictMatrix runs every case of the matrix on process stacks and
// prints the table (go test -v, or make verify).
func TestVerdictMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("process stacks: skipped in -short mode")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Log("redis-server not on PATH: the stacks use the embedded Redis")
	}
	cfg := harness.MatrixConfig{
		Provider: func(dir string) harness.Provider { return &harness.Processes{TargetBin: targetBin, Dir: dir} },
		OutDir:   t.TempDir(),
	}
	var rows []harness.MatrixRow
	for _, c := range truthMatrix {
		t.Run(c.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			got, err := harness.RunMatrix(ctx, []harness.MatrixCase{c}, cfg)
			rows = append(rows, got...)
			if err != nil {
				t.Fatal(err)
			}
			row := got[0]
			switch row.Status {
			case harness.MatrixOK:
			case harness.MatrixKnownGap:
				t.Logf("known gap: expected %s, got %s (failing: %v): %s", row.Expected, row.Actual, row.FailingGates, c.Pending)
			case harness.MatrixFixed:
				t.Errorf("expected %s and got it: the gap is fixed, remove Pending from the case", row.Expected)
			default:
				t.Errorf("expected %s, got %s (failing gates: %v; invalid: %v)", row.Expected, row.Actual, row.FailingGates, row.Invalid)
			}
		})
	}
	if err := harness.WriteMatrixTable(t.Output(), rows); err != nil {
		t.Error(err)
	}
}
