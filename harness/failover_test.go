package harness_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness"
	"loadharness/harness/stack/process"
	"loadharness/internal/promtest"
	"loadharness/reports"
	"loadharness/scenarios/suite"
)

// eventSuiteTimeout bounds each event suite's run: the stack, setup,
// warm-up and at most a minute of load.
const eventSuiteTimeout = 90 * time.Second

// runEventSuite runs suite on a process stack within eventSuiteTimeout,
// checks that no process of the stack outlives the run, and returns the
// summary.
func runEventSuite(tb testing.TB, s *suite.Suite) reports.Summary {
	tb.Helper()
	if testing.Short() {
		tb.Skip("process stack: skipped in -short mode")
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		tb.Log("redis-server not on PATH: the stack uses the embedded Redis")
	}
	out := tb.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), eventSuiteTimeout)
	defer cancel()
	res, err := harness.RunOn(ctx, &process.Provider{TargetBin: targetBin, Dir: out, Logf: tb.Logf}, s, false, harness.WithLogf(tb.Logf))
	summary := res.Summary
	if err != nil {
		tb.Fatalf("run %s: %v", s.Name, err)
	}
	if left := leftovers(out); len(left) > 0 {
		tb.Errorf("processes left after the run: %s", strings.Join(left, "; "))
	}
	if summary.Verdict != loadharness.VerdictPass {
		logStackTails(tb, out)
	}
	return summary
}

// logStackTails logs the last lines of every log the stack wrote under dir,
// which the test's temporary directory takes away: a run that did not pass
// on a CI machine then says what its processes said.
func logStackTails(tb testing.TB, dir string) {
	tb.Helper()
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".log") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
		tb.Logf("%s, last lines:\n%s", path, strings.Join(lines[max(0, len(lines)-15):], "\n"))
		return nil
	})
}

// mustLoadSuite loads a built-in suite.
func mustLoadSuite(tb testing.TB, name string) *suite.Suite {
	tb.Helper()
	s, err := suite.Load(name)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// leftovers lists the live processes of a stack whose files are under dir:
// the target binary, or any process with an argument or working directory
// under dir (redis-server runs in its --dir). Linux only; none elsewhere.
func leftovers(dir string) []string {
	if runtime.GOOS != "linux" {
		return nil
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(cmdline) == 0 {
			continue // gone, or a zombie already
		}
		args := strings.Split(strings.TrimRight(string(cmdline), "\x00"), "\x00")
		cwd, _ := os.Readlink(filepath.Join("/proc", e.Name(), "cwd"))
		mine := args[0] == targetBin || strings.HasPrefix(cwd, dir)
		for _, a := range args[1:] {
			mine = mine || strings.Contains(a, dir)
		}
		if mine {
			out = append(out, e.Name()+" "+strings.Join(args, " "))
		}
	}
	return out
}

// gateResult returns the result of the gate whose metric is name.
func gateResult(tb testing.TB, s reports.Summary, name string) loadharness.GateResult {
	tb.Helper()
	for _, g := range s.Gates {
		if g.Gate.Metric.Name == name {
			return g
		}
	}
	tb.Fatalf("no gate on %s in %+v", name, s.Gates)
	return loadharness.GateResult{}
}

// requireGates fails the test for every failed gate. No gate is excused
// because the machine is busy: where a timing cannot hold on two cores, the
// suite asks for less, and says so.
func requireGates(t *testing.T, s reports.Summary) {
	t.Helper()
	failed := false
	for _, g := range s.Gates {
		t.Logf("gate %s", g.Display)
		if !g.Pass {
			t.Errorf("gate failed: %s", g.Display)
			failed = true
		}
	}
	if failed {
		// What failed, so that a failure on a busy CI machine says why.
		for _, sc := range s.Scenarios {
			t.Logf("%s: %d requests, %d failed, %d dropped; codes %v; errors %v; check failures: %d",
				sc.Name, sc.Requests, sc.Failed, sc.Dropped, sc.Codes, sc.Errors, sc.ChecksFailed)
		}
	}
}

// balancers runs test once behind each balancer a stack can have: the
// event suites must pass behind a real HAProxy as behind target lb.
func balancers(t *testing.T, test func(t *testing.T, balancer string)) {
	for _, b := range []string{loadharness.BalancerBuiltin, loadharness.BalancerHAProxy} {
		t.Run(b, func(t *testing.T) {
			if _, err := exec.LookPath("haproxy"); err != nil && b == loadharness.BalancerHAProxy && os.Getenv("CI") == "" {
				t.Skip("haproxy not on PATH (apt-get install haproxy; CI installs it)")
			}
			test(t, b)
		})
	}
}

func TestFailoverSuitePasses(t *testing.T) { balancers(t, testFailoverSuitePasses) }

func testFailoverSuitePasses(t *testing.T, balancer string) {
	st := mustLoadSuite(t, "failover")
	st.Stack.Balancer = balancer
	s := runEventSuite(t, st)
	requireGates(t, s)

	// The kill is an event of the summary, timed within the measured run.
	var kills []loadharness.Event
	for _, ev := range s.Events {
		if ev.Kind == string(loadharness.ActionKillInstance) {
			kills = append(kills, ev)
		}
	}
	if len(kills) != 1 || kills[0].Target != "instance-2" || kills[0].Detail != "" {
		t.Fatalf("events %+v, want one kill of instance-2 that succeeded", s.Events)
	}
	if kills[0].At.Before(s.Started) || kills[0].At.After(s.Finished) {
		t.Errorf("kill at %s is outside the run %s..%s", kills[0].At, s.Started, s.Finished)
	}
	sc := scenarioByName(t, s, "failover")
	// A user whose upload met a starved balancer has no data set to check.
	if got, want := sc.SessionsChecked, 100; got != want {
		t.Errorf("sessions checked = %d, want every one of %d users", got, want)
	}
	if gateResult(t, s, "sessions_lost").Measured != 0 {
		t.Errorf("sessions lost on Redis sessions: %+v", gateResult(t, s, "sessions_lost"))
	}
	recovery := gateResult(t, s, "recovery_time")
	if recovery.Missing {
		t.Errorf("recovery_time not measured: %s", recovery.Display)
	}
	t.Logf("failover behind %s: %d requests, %d errors (%v); %s; %s",
		balancer, sc.Requests, sc.Failed, sc.Codes, gateResult(t, s, "excess_errors").Display, recovery.Display)
}

func TestFailoverOnTheBeforeShapeLosesSessions(t *testing.T) {
	// The same failover on the seed's current shape: sessions in each
	// worker's memory, data sets in the session.
	st := mustLoadSuite(t, "failover")
	st.Stack = mustLoadSuite(t, "before").Stack
	s := runEventSuite(t, st)
	if got, want := s.Verdict, loadharness.VerdictFail; got != want {
		t.Fatalf("verdict = %s, want %s", got, want)
	}
	lost := gateResult(t, s, "sessions_lost")
	if lost.Pass || lost.Missing || lost.Measured <= 0 {
		t.Fatalf("sessions_lost gate = %+v, want failed with sessions lost", lost)
	}
	t.Logf("before shape: %s", lost.Display)
}

func TestScaleOutSuitePasses(t *testing.T) {
	st := mustLoadSuite(t, "scale-out")
	// The suite's map_cost makes a map about 30 ms of CPU on the machine it
	// was tuned on; machines differ by more than the step's margin of
	// overload (a fifth), so the test sets the cost this machine needs.
	st.Stack.MapCost = calibrateMapCost(t, scaleOutMapCPU)
	s := runEventSuite(t, st)
	requireGates(t, s)

	var adds, removes []loadharness.Event
	for _, ev := range s.Events {
		switch loadharness.ActionKind(ev.Kind) {
		case loadharness.ActionAddInstance:
			adds = append(adds, ev)
		case loadharness.ActionRemoveInstance:
			removes = append(removes, ev)
		}
	}
	if len(adds) == 0 || !strings.HasPrefix(adds[0].Detail, "autoscale: cpu ") {
		t.Fatalf("events %+v, want the policy to add an instance under the 33/s step", s.Events)
	}
	if got := gateResult(t, s, "sessions_lost"); !got.Pass {
		t.Errorf("sessions lost while scaling: %s", got.Display)
	}
	reaction := gateResult(t, s, "reaction_time")
	if reaction.Missing {
		t.Errorf("reaction_time not measured: %s", reaction.Display)
	}
	t.Logf("scale-out: %d added, %d removed; %s; %s", len(adds), len(removes), reaction.Display, gateResult(t, s, "recovery_time").Display)
}

// scaleOutMapCPU is the time a map takes in the scale-out suite's design:
// one single-threaded instance serves about 30 a second on an idle core,
// fewer beside the stack's other work, and its 33/s step overloads it.
const scaleOutMapCPU = 33 * time.Millisecond

// calibrateMapCost measures, on a one-thread instance, the median time of
// a map at two costs, one request at a time, and returns the cost that
// makes a map take want on this machine. Two costs, because a map has a
// fixed part (session, Redis, SVG) that the cost does not scale: from one,
// 30 ms came out as 18.
func calibrateMapCost(t *testing.T, want time.Duration) int {
	t.Helper()
	median := func(cost int) time.Duration {
		cal, err := suite.Parse("calibrate.yaml", []byte(fmt.Sprintf(`name: calibrate
stack: {instances: 1, workers: 1, threads: 1, session_store: redis, dataset_store: redis, map_cost: %d}
gates: [error_rate < 1%%]
scenarios:
  - {name: maps, users: 1, duration: 3s, setup: [upload], steps: [map]}
`, cost)))
		if err != nil {
			t.Fatal(err)
		}
		sc := scenarioByName(t, runEventSuite(t, cal), "maps")
		if sc.Requests < 10 || sc.Failed > 0 {
			t.Fatalf("calibration at cost %d: %d maps, %d failed", cost, sc.Requests, sc.Failed)
		}
		return time.Duration(sc.RawLatency.P50 * float64(time.Millisecond))
	}
	const lo, hi = 1000, 5000
	tLo, tHi := median(lo), median(hi)
	perCost := float64(tHi-tLo) / (hi - lo)
	if perCost <= 0 {
		t.Fatalf("calibration: a map takes %v at cost %d and %v at %d: the cost does not cost", tLo, lo, tHi, hi)
	}
	fixed := float64(tLo) - perCost*lo
	cost := int((float64(want) - fixed) / perCost)
	cost = min(max(cost, 500), 50_000)
	t.Logf("calibration: a map takes %v at cost %d and %v at cost %d; cost %d for %v (the suite says %d)",
		tLo, lo, tHi, hi, cost, want, mustLoadSuite(t, "scale-out").Stack.MapCost)
	return cost
}

func TestRollingRestartSuitePasses(t *testing.T) { balancers(t, testRollingRestartSuitePasses) }

func testRollingRestartSuitePasses(t *testing.T, balancer string) {
	st := mustLoadSuite(t, "rolling-restart")
	st.Stack.Balancer = balancer
	s := runEventSuite(t, st)
	requireGates(t, s)
	var replaced []string
	for _, ev := range s.Events {
		if ev.Kind == string(loadharness.ActionReplaceInstance) && strings.HasPrefix(ev.Detail, "replaced by ") {
			replaced = append(replaced, ev.Target)
		}
	}
	if got, want := strings.Join(replaced, ","), "instance-1,instance-2,instance-3"; got != want {
		t.Errorf("replaced %s, want %s (events %+v)", got, want, s.Events)
	}
	sc := scenarioByName(t, s, "rolling-restart")
	t.Logf("rolling restart behind %s: %d requests, %d errors, %d sessions lost of %d", balancer, sc.Requests, sc.Failed, sc.SessionsLost, sc.SessionsChecked)
}

// TestAutoscaleOnAPromQLSignal: a scaling policy on a PromQL query of the
// stack's own Prometheus acts on what Prometheus says: the request rate
// the workers counted (sum(rate(target_requests_total[3s]))) goes past 10/s
// under a load of 40/s, and the policy adds the second instance.
func TestAutoscaleOnAPromQLSignal(t *testing.T) {
	promtest.Binary(t, "prometheus")
	s, err := suite.Parse("promql-scaling.yaml", []byte(`name: promql-scaling
stack: {instances: 1, workers: 2, threads: 4, prometheus: true}
scenarios:
  - name: scale
    users: 10
    rate: 40/s
    duration: 10s
    setup: [login, upload]
    steps: [map]
    gates: [error_rate < 1%, scale_events >= 1]
    autoscale:
      signal: promql
      query: sum(rate(target_requests_total{job="target"}[3s]))
      above: 10
      for: 2s
      cooldown: 30s
      max_instances: 2
`))
	if err != nil {
		t.Fatal(err)
	}
	summary := runEventSuite(t, s)
	requireGates(t, summary)
	var adds []loadharness.Event
	for _, ev := range summary.Events {
		if ev.Kind == string(loadharness.ActionAddInstance) {
			adds = append(adds, ev)
		}
	}
	if len(adds) != 1 || !strings.Contains(adds[0].Detail, "autoscale: promql ") {
		t.Errorf("add events %+v, want one, for the promql signal", adds)
	}
}
