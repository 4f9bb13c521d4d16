package harness_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness"
	"loadharness/harness/stack/process"
	"loadharness/internal/testbin"
	"loadharness/reports"
	"loadharness/scenarios/suite"
)

// targetBin is the cmd/target binary built once for the integration tests.
var targetBin string

func TestMain(m *testing.M) {
	os.Exit(testbin.Main(m.Run, []*string{&targetBin}, "loadharness/cmd/target"))
}

// MustRunSuite runs the suite file on a process stack and returns its summary.
func MustRunSuite(tb testing.TB, file string) reports.Summary {
	tb.Helper()
	if testing.Short() {
		tb.Skip("process stack: skipped in -short mode")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Log("redis-server not on PATH: the stack uses the embedded Redis")
	}
	s, err := suite.Load(file)
	if err != nil {
		tb.Fatal(err)
	}
	out := tb.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := harness.RunOn(ctx, &process.Provider{TargetBin: targetBin, Dir: out, Logf: tb.Logf}, s, false, harness.WithLogf(tb.Logf))
	if err != nil {
		tb.Fatalf("run %s: %v", file, err)
	}
	return res.Summary
}

func scenarioByName(tb testing.TB, s reports.Summary, name string) reports.ScenarioSummary {
	tb.Helper()
	for _, sc := range s.Scenarios {
		if sc.Name == name {
			return sc
		}
	}
	tb.Fatalf("no scenario %q in summary", name)
	return reports.ScenarioSummary{}
}

func TestHealthyStackPasses(t *testing.T) {
	s := MustRunSuite(t, "testdata/healthy.yaml")
	for _, g := range s.Gates {
		if !g.Pass {
			t.Errorf("gate %s/%s failed: %s", g.Scenario, g.Gate, g.Display)
		}
	}
	if got, want := s.Verdict, loadharness.VerdictPass; got != want {
		t.Fatalf("verdict = %s, want %s (invalid: %v)", got, want, s.InvalidReasons)
	}
	uploads := scenarioByName(t, s, "uploads")
	if uploads.SessionsChecked < 8 {
		t.Errorf("uploads: sessions checked = %d, want every one of 8 users", uploads.SessionsChecked)
	}
	if uploads.Requests == 0 || uploads.SessionsLost != 0 {
		t.Errorf("uploads: requests %d, sessions lost %d", uploads.Requests, uploads.SessionsLost)
	}
}

func TestMemorySessionsAcrossWorkersAreLost(t *testing.T) {
	s := MustRunSuite(t, "testdata/before.yaml")
	if got, want := s.Verdict, loadharness.VerdictFail; got != want {
		t.Fatalf("verdict = %s, want %s", got, want)
	}
	sc := scenarioByName(t, s, "map-views")
	if sc.SessionsLost == 0 {
		t.Fatalf("sessions lost = 0 with memory sessions on 2 instances × 2 workers; want > 0")
	}
	failed := false
	for _, g := range s.Gates {
		if g.Gate.String() == "sessions_lost == 0" && !g.Pass {
			failed = true
		}
	}
	if !failed {
		t.Errorf("the sessions_lost gate did not fail: %+v", s.Gates)
	}
}

func TestImpossibleGateFails(t *testing.T) {
	s := MustRunSuite(t, "testdata/impossible.yaml")
	if got, want := s.Verdict, loadharness.VerdictFail; got != want {
		t.Fatalf("verdict = %s, want %s", got, want)
	}
	for _, g := range s.Gates {
		switch g.Gate.String() {
		case "p95 < 1ms":
			if g.Pass || g.Margin >= 0 {
				t.Errorf("p95 < 1ms passed or has no negative margin: %+v", g)
			}
		case "sessions_lost == 0":
			if !g.Pass {
				t.Errorf("sessions_lost failed on a healthy stack: %+v", g)
			}
		}
	}
	if got, want := loadharness.Judge(s.Evidence()).ExitCode, loadharness.ExitFail; got != want {
		t.Errorf("exit code = %d, want %d", got, want)
	}
}
