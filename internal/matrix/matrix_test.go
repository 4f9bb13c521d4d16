package matrix_test

import (
	"context"
	"loadharness/harness/stack"
	"loadharness/harness/stack/process"
	"loadharness/internal/matrix"
	"loadharness/internal/testbin"
	"os"
	"os/exec"
	"testing"
	"time"

	"loadharness"
)

// truthMatrix is the verdict-truth matrix: the known-bad shapes the seed
// fears, each of which must fail the gate that names its fault, a run the
// generator cannot drive, which must be invalid, and the healthy shape,
// which must pass every time.
var truthMatrix = []matrix.Case{
	// Under the session rule a read that lands on the other worker proves
	// nothing (a 404) and a later read on the user's own worker proves the
	// session again: that is a failed request, not a lost session, unless
	// the user never gets back. So the gate that must fail every time is
	// error_rate; sessions_lost fails only for the users whose connection
	// stayed on the wrong worker to the end (docs/sessions.md).
	{Name: "memory-sessions-2-workers", Suite: "testdata/memory-workers.yaml",
		Want: loadharness.VerdictFail, Gate: loadharness.MustParseGate("error_rate < 1%")},
	{Name: "file-datasets-2-instances", Suite: "testdata/file-datasets.yaml",
		Want: loadharness.VerdictFail, Gate: loadharness.MustParseGate("sessions_lost == 0")},
	{Name: "1-worker-1-thread-100-users", Suite: "testdata/one-thread.yaml",
		Want: loadharness.VerdictFail, Gate: loadharness.MustParseGate("p95 < 500ms")},
	{Name: "large-datasets-in-session", Suite: "testdata/large-datasets.yaml",
		Want: loadharness.VerdictFail, Gate: loadharness.MustParseGate("serialization_errors == 0")},
	{Name: "instance-killed-local-sessions", Suite: "testdata/kill-local-sessions.yaml",
		Want: loadharness.VerdictFail, Gate: loadharness.MustParseGate("sessions_lost == 0")},
	{Name: "generator-starved", Suite: "testdata/generator-starved.yaml",
		Want: loadharness.VerdictInvalid, Runs: 5},
	{Name: "slow-target-open", Suite: "testdata/slow-target-open.yaml",
		Want: loadharness.VerdictFail, Runs: 5},
	{Name: "healthy", Suite: "testdata/healthy.yaml",
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
	cfg := matrix.Config{
		Provider: func(dir string) stack.Provider { return &process.Provider{TargetBin: targetBin, Dir: dir} },
		OutDir:   t.TempDir(),
	}
	var rows []matrix.Row
	for _, c := range truthMatrix {
		t.Run(c.Name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			got, err := matrix.Run(ctx, []matrix.Case{c}, cfg)
			rows = append(rows, got...)
			if err != nil {
				t.Fatal(err)
			}
			row := got[0]
			switch row.Status {
			case matrix.OK:
			case matrix.KnownGap:
				t.Logf("known gap: expected %s, got %s (failing: %v): %s", row.Expected, row.Actual, row.FailingGates, c.Pending)
			case matrix.Fixed:
				t.Errorf("expected %s and got it: the gap is fixed, remove Pending from the case", row.Expected)
			default:
				t.Errorf("expected %s, got %s (failing gates: %v; invalid: %v)", row.Expected, row.Actual, row.FailingGates, row.Invalid)
			}
		})
	}
	if err := matrix.WriteTable(t.Output(), rows); err != nil {
		t.Error(err)
	}
}

// targetBin is the cmd/target binary, built once for the matrix.
var targetBin string

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m.Run, []*string{&targetBin}, "loadharness/cmd/target"))
}
