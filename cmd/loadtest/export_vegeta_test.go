package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/rundir"
	"loadharness/reports"
	"loadharness/scenarios"
)

// vegetaModule is the module whose CLI the export is checked against; its
// version is the one go.mod requires, so the CLI reads what the harness's
// Vegeta library writes.
const vegetaModule = "github.com/tsenart/vegeta/v12"

var vegetaOnce struct {
	sync.Once
	path string
	err  error
}

// vegetaCLI builds Vegeta's command, once per test binary, into binDir:
// with this module's go.mod when go.sum holds every dependency of the
// command (it holds the library's only), else by go install at go.mod's
// version through the module proxy.
func vegetaCLI(t *testing.T) string {
	t.Helper()
	vegetaOnce.Do(func() {
		vegetaOnce.path = filepath.Join(binDir, "vegeta")
		// -mod=readonly: a test never rewrites go.mod or go.sum.
		out, err := exec.Command("go", "build", "-mod=readonly", "-o", vegetaOnce.path, vegetaModule).CombinedOutput()
		if err == nil {
			return
		}
		version, errV := exec.Command("go", "list", "-m", "-f", "{{.Version}}", vegetaModule).Output()
		if errV != nil {
			vegetaOnce.err = fmt.Errorf("go list -m %s: %w", vegetaModule, errV)
			return
		}
		install := exec.Command("go", "install", vegetaModule+"@"+strings.TrimSpace(string(version)))
		// Outside this module, so that go install reads only the command's
		// own go.mod.
		install.Dir = binDir
		install.Env = append(os.Environ(), "GOBIN="+binDir, "GOWORK=off", "GOFLAGS=")
		if out2, err := install.CombinedOutput(); err != nil {
			vegetaOnce.err = fmt.Errorf("build vegeta: go build: %s\ngo install: %w\n%s", out, err, out2)
		}
	})
	if vegetaOnce.err != nil {
		t.Fatal(vegetaOnce.err)
	}
	return vegetaOnce.path
}

// vegeta runs Vegeta's CLI and returns its exit code, stdout and stderr.
func vegeta(t *testing.T, args ...string) (int, []byte, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return runForExit(t, exec.CommandContext(ctx, vegetaCLI(t), args...))
}

// vegetaMetrics are the fields of `vegeta report -type=json` checked here.
type vegetaMetrics struct {
	Latencies struct {
		Min  time.Duration `json:"min"`
		Mean time.Duration `json:"mean"`
		Max  time.Duration `json:"max"`
	} `json:"latencies"`
	Requests    int            `json:"requests"`
	Throughput  float64        `json:"throughput"`
	Success     float64        `json:"success"`
	StatusCodes map[string]int `json:"status_codes"`
	Errors      []string       `json:"errors"`
}

// vegetaReport runs `vegeta report` on file as text and as JSON, checks
// both exit 0, and returns the JSON figures.
func vegetaReport(t *testing.T, file string) vegetaMetrics {
	t.Helper()
	if code, out, stderr := vegeta(t, "report", file); code != 0 || !bytes.Contains(out, []byte("Requests")) {
		t.Fatalf("vegeta report %s: exit %d\n%s%s", file, code, out, stderr)
	}
	code, out, stderr := vegeta(t, "report", "-type=json", file)
	if code != 0 {
		t.Fatalf("vegeta report -type=json %s: exit %d\n%s", file, code, stderr)
	}
	var m vegetaMetrics
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("vegeta report -type=json: %v\n%s", err, out)
	}
	return m
}

// exportTarget answers like a service under a test: /order is slow (25
// ms, so two users carry 80 of the 100 orders a second asked: the open
// model falls behind and drops hits), one order in seven is a 503 and one
// in five a 200 that says "rejected", which the suite's check fails.
func exportTarget() http.Handler {
	var orders atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path != "/order" {
			fmt.Fprint(w, `{"status":"accepted"}`)
			return
		}
		n := orders.Add(1)
		time.Sleep(25 * time.Millisecond)
		switch {
		case n%7 == 0:
			http.Error(w, `{"status":"busy"}`, http.StatusServiceUnavailable)
		case n%5 == 0:
			fmt.Fprint(w, `{"status":"rejected"}`)
		default:
			fmt.Fprint(w, `{"status":"accepted"}`)
		}
	})
}

const exportSuite = `name: vegeta-export
scenarios:
  - name: orders
    users: 2
    rate: 100/s
    warmup: 1s
    duration: 2s
    setup:
      - {name: login, path: /login}
    steps:
      - name: order
        path: /order
        checks: [{json: status, equals: accepted}]
    gates: [error_rate < 100%]
  - name: browse
    users: 3
    think: 10ms
    duration: 2s
    steps:
      - {name: page, path: /page}
    gates: [error_rate < 1%]
`

// exportRun runs exportSuite against exportTarget on 127.0.0.1 and
// returns the run directory.
func exportRun(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(exportTarget())
	defer srv.Close()
	dir := t.TempDir()
	suiteFile := filepath.Join(dir, "suite.yaml")
	if err := os.WriteFile(suiteFile, []byte(exportSuite), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run")
	code, stdout, stderr := loadtest(t, "run", suiteFile, "--provider", "external", "--target", srv.URL, "--out", out, "--quiet")
	// The verdict does not matter here (the orders gate fails on dropped
	// hits, a slow machine may call the run invalid): the files do.
	if code != loadharness.ExitPass && code != loadharness.ExitFail && code != loadharness.ExitInvalid {
		t.Fatalf("run: exit %d\n%s%s", code, stdout, stderr)
	}
	return out
}

// rawFigures are the figures Vegeta computes, taken from results.json
// directly: the requests of the scenarios and phases given, latency from
// the send time (raw, not corrected).
type rawFigures struct {
	requests       int
	min, max, mean time.Duration
	droppedRecords int
}

func readRawFigures(t *testing.T, runDir string, keep func(*loadharness.Result) bool) rawFigures {
	t.Helper()
	f, err := os.Open(filepath.Join(runDir, rundir.ResultsFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var (
		fig   rawFigures
		total time.Duration
	)
	_, err = scenarios.ReadRaw(context.Background(), f, loadharness.SinkFunc(func(r *loadharness.Result) {
		switch {
		case !keep(r):
		case r.Dropped > 0:
			fig.droppedRecords++
		default:
			if fig.requests == 0 || r.Latency < fig.min {
				fig.min = r.Latency
			}
			fig.max = max(fig.max, r.Latency)
			total += r.Latency
			fig.requests++
		}
	}))
	if err != nil {
		t.Fatal(err)
	}
	// As Vegeta's Metrics.Close computes it.
	fig.mean = time.Duration(float64(total) / float64(fig.requests))
	return fig
}

func mainOf(scenario string) func(*loadharness.Result) bool {
	return func(r *loadharness.Result) bool {
		return r.Phase == loadharness.PhaseMain && (scenario == "" || r.Scenario == scenario)
	}
}

// msToDuration turns a summary's milliseconds back into the nanoseconds
// they were computed from.
func msToDuration(ms float64) time.Duration { return time.Duration(math.Round(ms * 1e6)) }

// What `vegeta report` says of an export is what summary.json says of the
// same scope where both measure the same thing, and differs where they do
// not, for the reasons the README gives: each is checked here.
func TestVegetaReadsTheExportAsSummaryJSONCountsIt(t *testing.T) {
	if testing.Short() {
		t.Skip("a 5 s run and Vegeta's CLI: skipped in -short mode")
	}
	vegetaCLI(t) // fail early when Vegeta cannot be built
	runDir := exportRun(t)
	s := mustReadSummary(t, runDir)
	byName := map[string]reports.ScenarioSummary{}
	for _, sc := range s.Scenarios {
		byName[sc.Name] = sc
	}
	orders, browse := byName["orders"], byName["browse"]
	if orders.Requests == 0 || browse.Requests == 0 {
		t.Fatalf("the run sent %d orders and %d pages; want both", orders.Requests, browse.Requests)
	}
	// The run has every shape the export must handle.
	if orders.Dropped == 0 || orders.ChecksFailed == 0 || orders.Failed == 0 || orders.Setup == nil || orders.Warmup == nil {
		t.Fatalf("orders: %d dropped, %d checks failed, %d failed, setup %v, warm-up %v; want all of them",
			orders.Dropped, orders.ChecksFailed, orders.Failed, orders.Setup != nil, orders.Warmup != nil)
	}
	exported := t.TempDir()
	export := func(name string, args ...string) string {
		t.Helper()
		file := filepath.Join(exported, name)
		code, stdout, stderr := loadtest(t, append([]string{"export", "vegeta", runDir, "-o", file}, args...)...)
		if code != 0 {
			t.Fatalf("export %v: exit %d\n%s%s", args, code, stdout, stderr)
		}
		return file
	}

	t.Run("one scenario", func(t *testing.T) {
		for _, sc := range []reports.ScenarioSummary{orders, browse} {
			m := vegetaReport(t, export(sc.Name+".json", "--scenario", sc.Name))
			raw := readRawFigures(t, runDir, mainOf(sc.Name))
			t.Logf("%s: summary.json %d requests, %d failed, %d dropped, %d checks failed, success_ratio %.4f, throughput %.2f/s, latency mean %.3fms (raw %.3fms); vegeta %d requests, success %.4f, throughput %.2f/s, mean %v",
				sc.Name, sc.Requests, sc.Failed, sc.Dropped, sc.ChecksFailed, sc.SuccessRatio, sc.ThroughputRPS, sc.Latency.Mean, sc.RawLatency.Mean,
				m.Requests, m.Success, m.Throughput, m.Latencies.Mean)
			// Equal: the main phase's requests and their status codes;
			// dropped and skipped hits are in neither.
			if m.Requests != sc.Requests || !maps.Equal(m.StatusCodes, sc.Codes) {
				t.Errorf("%s: vegeta %d requests %v; summary.json %d %v", sc.Name, m.Requests, m.StatusCodes, sc.Requests, sc.Codes)
			}
			// Equal: the distinct error texts of requests (summary.json
			// also lists a skipped step's reason, and has none here).
			if errs := slices.Sorted(maps.Keys(sc.Errors)); !slices.Equal(slices.Sorted(slices.Values(m.Errors)), errs) {
				t.Errorf("%s: vegeta errors %q; summary.json %q", sc.Name, m.Errors, errs)
			}
			// Equal: min, max and mean of the raw latency (from the send
			// time), to the nanosecond; summary.json has max and mean as
			// raw_latency_ms, and min only in results.json.
			if m.Latencies.Min != raw.min || m.Latencies.Max != raw.max || m.Latencies.Mean != raw.mean {
				t.Errorf("%s: vegeta latency min/max/mean %v/%v/%v; results.json %v/%v/%v",
					sc.Name, m.Latencies.Min, m.Latencies.Max, m.Latencies.Mean, raw.min, raw.max, raw.mean)
			}
			if m.Latencies.Max != msToDuration(sc.RawLatency.Max) || (m.Latencies.Mean-msToDuration(sc.RawLatency.Mean)).Abs() > time.Nanosecond {
				t.Errorf("%s: vegeta max %v mean %v; summary.json raw_latency_ms max %v mean %v",
					sc.Name, m.Latencies.Max, m.Latencies.Mean, sc.RawLatency.Max, sc.RawLatency.Mean)
			}
			// Differ: Vegeta's success is 2xx and 3xx over requests; the
			// harness's success_ratio also counts dropped hits as failed
			// hits. Responses whose checks failed are successes to both
			// (the harness counts them in checks_failed).
			ok := sc.Requests - sc.Failed
			if got, want := m.Success, float64(ok)/float64(sc.Requests); math.Abs(got-want) > 1e-12 {
				t.Errorf("%s: vegeta success %v, want (requests-failed)/requests = %v", sc.Name, got, want)
			}
			if got, want := sc.SuccessRatio, float64(ok)/float64(sc.Requests+sc.Dropped); math.Abs(got-want) > 1e-12 {
				t.Errorf("%s: success_ratio %v, want (requests-failed)/(requests+dropped) = %v", sc.Name, got, want)
			}
			// Differ: Vegeta's throughput counts successes only; the
			// harness's, every request, over the same window (first send
			// to last response).
			if got, want := m.Throughput, sc.ThroughputRPS*float64(ok)/float64(sc.Requests); math.Abs(got-want) > 1e-9*want {
				t.Errorf("%s: vegeta throughput %v, want throughput_rps × successes/requests = %v", sc.Name, got, want)
			}
		}
		// Differ: summary.json's latency_ms is corrected for coordinated
		// omission (from when the hit was due); Vegeta's is raw. The
		// orders fell behind, so the corrected mean is the higher; the
		// closed model's pages were sent when due, so they agree.
		if orders.Latency.Mean <= orders.RawLatency.Mean {
			t.Errorf("orders: corrected mean %vms, raw %vms; want the corrected one higher", orders.Latency.Mean, orders.RawLatency.Mean)
		}
		if browse.Latency.Max != browse.RawLatency.Max || browse.Latency.Mean != browse.RawLatency.Mean {
			t.Errorf("browse: corrected %+v, raw %+v; a closed model's are equal", browse.Latency, browse.RawLatency)
		}
	})

	t.Run("every scenario", func(t *testing.T) {
		m := vegetaReport(t, export("all.json"))
		raw := readRawFigures(t, runDir, mainOf(""))
		codes := map[string]int{}
		for _, sc := range s.Scenarios {
			for code, n := range sc.Codes {
				codes[code] += n
			}
		}
		if m.Requests != orders.Requests+browse.Requests || !maps.Equal(m.StatusCodes, codes) {
			t.Errorf("vegeta %d requests %v; summary.json %d %v", m.Requests, m.StatusCodes, orders.Requests+browse.Requests, codes)
		}
		if m.Latencies.Min != raw.min || m.Latencies.Max != raw.max || m.Latencies.Mean != raw.mean {
			t.Errorf("vegeta latency min/max/mean %v/%v/%v; results.json %v/%v/%v",
				m.Latencies.Min, m.Latencies.Max, m.Latencies.Mean, raw.min, raw.max, raw.mean)
		}
	})

	t.Run("every phase", func(t *testing.T) {
		m := vegetaReport(t, export("orders-all.json", "--scenario", "orders", "--phases", "all"))
		if want := orders.Requests + orders.Setup.Requests + orders.Warmup.Requests; m.Requests != want {
			t.Errorf("vegeta %d requests; summary.json main+setup+warmup %d", m.Requests, want)
		}
	})

	t.Run("plot", func(t *testing.T) {
		file := export("plot.json")
		code, html, stderr := vegeta(t, "plot", "-title", "export", file)
		if code != 0 {
			t.Fatalf("vegeta plot: exit %d\n%s", code, stderr)
		}
		rows, labels := plotData(t, html)
		// Under Vegeta's downsampling threshold (4000 a series) every
		// request is a point: the rows are the requests.
		if got, want := len(rows), orders.Requests+browse.Requests; got != want {
			t.Errorf("the plot has %d points, want the %d requests", got, want)
		}
		for _, want := range []string{"orders: OK", "orders: ERROR", "browse: OK"} {
			if !slices.Contains(labels, want) {
				t.Errorf("the plot's series %v lack %q", labels, want)
			}
		}
		var top float64
		for _, row := range rows {
			for _, v := range row[1:] {
				if v != nil {
					top = max(top, *v)
				}
			}
		}
		if want := readRawFigures(t, runDir, mainOf("")).max.Seconds() * 1000; math.Abs(top-want) > 1e-9 {
			t.Errorf("the plot's highest point is %vms, want the slowest request's %vms", top, want)
		}
	})

	t.Run("results.json as it is", func(t *testing.T) {
		// Vegeta reads it, but counts setup and warm-up requests and each
		// record of dropped hits as a request (status 0).
		m := vegetaReport(t, filepath.Join(runDir, rundir.ResultsFile))
		all := readRawFigures(t, runDir, func(*loadharness.Result) bool { return true })
		requests := orders.Requests + orders.Setup.Requests + orders.Warmup.Requests + browse.Requests
		if m.Requests != requests+all.droppedRecords || m.StatusCodes["0"] < all.droppedRecords {
			t.Errorf("vegeta %d requests, %d of status 0; want %d requests + %d records of dropped hits, all of status 0",
				m.Requests, m.StatusCodes["0"], requests, all.droppedRecords)
		}
		// Its plot may fail, and then only because lines are out of send
		// order: results are written as they complete.
		code, _, stderr := vegeta(t, "plot", filepath.Join(runDir, rundir.ResultsFile))
		t.Logf("vegeta plot results.json: exit %d %s", code, strings.TrimSpace(stderr))
		if code != 0 && !strings.Contains(stderr, "non monotonically increasing timestamp") {
			t.Errorf("vegeta plot results.json: exit %d for another reason than the documented one:\n%s", code, stderr)
		}
	})
}

// plotData reads the points and series labels out of Vegeta's plot page.
func plotData(t *testing.T, html []byte) ([][]*float64, []string) {
	t.Helper()
	between := func(start, end string) []byte {
		_, rest, ok := bytes.Cut(html, []byte(start))
		if !ok {
			t.Fatalf("the plot lacks %q", start)
		}
		v, _, ok := bytes.Cut(rest, []byte(end))
		if !ok {
			t.Fatalf("the plot lacks %q after %q", end, start)
		}
		return v
	}
	var rows [][]*float64
	if err := json.Unmarshal(between("const rowData = ", ";\n"), &rows); err != nil {
		t.Fatalf("the plot's data: %v", err)
	}
	var opts struct {
		Labels []string `json:"labels"`
	}
	if err := json.Unmarshal(between("const opts = ", ";\n"), &opts); err != nil {
		t.Fatalf("the plot's options: %v", err)
	}
	return rows, opts.Labels
}
