package harness

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/promql"
	"loadharness/harness/stack"
	"loadharness/harness/stack/external"
	"loadharness/scenarios"
	"loadharness/scenarios/suite"
)

// fakeQuerier answers range queries from a table by expression and records
// what it was asked.
type fakeQuerier struct {
	series  map[string][]promql.Series
	errs    map[string]error
	awaited []time.Time
	asked   []string
	windows map[string][2]time.Time
}

func (f *fakeQuerier) AwaitScrapes(_ context.Context, t time.Time) ([]string, error) {
	f.awaited = append(f.awaited, t)
	return nil, nil
}

func (f *fakeQuerier) Range(_ context.Context, expr string, start, end time.Time) ([]promql.Series, []string, error) {
	f.asked = append(f.asked, expr)
	if f.windows == nil {
		f.windows = map[string][2]time.Time{}
	}
	f.windows[expr] = [2]time.Time{start, end}
	return f.series[expr], nil, f.errs[expr]
}

func points(values ...float64) []promql.Series {
	s := promql.Series{Labels: `{instance="a"}`}
	for _, v := range values {
		s.Points = append(s.Points, promql.Point{Value: v})
	}
	return []promql.Series{s}
}

func mustSuite(tb testing.TB, text string) *suite.Suite {
	tb.Helper()
	s, err := suite.Parse("promql.yaml", []byte(text))
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

const promQLSuite = "name: promql\n" +
	"gates: [\"promql(`cpu`) < 0.6\"]\n" +
	"scenarios:\n" +
	"  - name: a\n" +
	"    users: 1\n" +
	"    duration: 1s\n" +
	"    gates: [\"promql(`moved`) == 0\", \"promql(`absent`) == 0\", \"promql(`broken`) == 0\", \"promql(`nan`) < 1\", \"promql(`cpu`) > 0.1\", \"errors == 0\"]\n" +
	"    steps: [{name: x, path: /x}]\n" +
	"  - name: b\n" +
	"    users: 1\n" +
	"    duration: 1s\n" +
	"    steps: [{name: x, path: /x}]\n"

// TestMeasurePromQL judges each gate at its worst point, one query per
// scenario and expression over the scenario's own main phase, and leaves
// gates without a point not measured with a warning that says why.
func TestMeasurePromQL(t *testing.T) {
	s := mustSuite(t, promQLSuite)
	t0 := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	outcomes := map[string]scenarios.Outcome{
		"a": {Started: t0, Finished: t0.Add(5 * time.Second)},
		"b": {Started: t0.Add(6 * time.Second), Finished: t0.Add(9 * time.Second)},
	}
	q := &fakeQuerier{
		series: map[string][]promql.Series{
			"cpu":   points(0.2, 0.55, 0.3),
			"moved": append(points(0, 0), points(0, 2, 0)...),
			"nan":   points(math.NaN(), math.NaN()),
		},
		errs: map[string]error{"broken": errors.New("query http://127.0.0.1:1: connection refused")},
	}
	gates, warnings := measurePromQL(context.Background(), q, "", s, outcomes, t.Logf)
	if got, want := len(q.awaited), 1; got != want || !q.awaited[0].Equal(outcomes["b"].Finished) {
		t.Errorf("waited for scrapes after %v, want once after the last main phase's end %v", q.awaited, outcomes["b"].Finished)
	}
	// a: cpu, moved, absent, broken, nan (cpu twice in a's gates: asked
	// once); b: cpu, the suite's gate.
	if got, want := strings.Join(q.asked, " "), "cpu moved absent broken nan cpu"; got != want {
		t.Errorf("asked %q, want %q", got, want)
	}
	if got := q.windows["moved"]; !got[0].Equal(t0) || !got[1].Equal(t0.Add(5*time.Second)) {
		t.Errorf("moved asked over %v, want a's main phase", got)
	}
	if got := q.windows["cpu"]; !got[0].Equal(outcomes["b"].Started) {
		t.Errorf("cpu last asked over %v, want b's main phase", got)
	}
	tests := []struct {
		scenario, gate   string
		pass, missing    bool
		measured         float64
		warningFragments []string
	}{
		{"a", "promql(`cpu`) < 0.6", true, false, 0.55, nil},
		{"a", "promql(`cpu`) > 0.1", true, false, 0.2, nil},
		{"a", "promql(`moved`) == 0", false, false, 2, nil},
		{"a", "promql(`absent`) == 0", false, true, 0, []string{"a: promql(absent) not measured: no series over the main phase (10:00:00.000 to 10:00:05.000 UTC)"}},
		{"a", "promql(`broken`) == 0", false, true, 0, []string{"a: promql(broken) not measured: query http://127.0.0.1:1: connection refused"}},
		{"a", "promql(`nan`) < 1", false, true, 0, []string{"a: promql(nan) not measured: all 2 points", "are NaN"}},
		{"b", "promql(`cpu`) < 0.6", true, false, 0.55, nil},
	}
	m := loadharness.Measurers{gates}
	all := strings.Join(warnings, "\n")
	for _, tt := range tests {
		t.Run(tt.scenario+" "+tt.gate, func(t *testing.T) {
			r := loadharness.MustParseGate(tt.gate).Evaluate(tt.scenario, m)
			if r.Pass != tt.pass || r.Missing != tt.missing || r.Measured != tt.measured {
				t.Errorf("%s: pass, missing, measured = %v, %v, %v, want %v, %v, %v", r.Display, r.Pass, r.Missing, r.Measured, tt.pass, tt.missing, tt.measured)
			}
			for _, want := range tt.warningFragments {
				if !strings.Contains(all, want) {
					t.Errorf("warnings %q do not hold %q", warnings, want)
				}
			}
		})
	}
	if got, want := len(warnings), 3; got != want {
		t.Errorf("%d warnings, want %d: %q", got, want, warnings)
	}
	// Other metrics are not its to answer.
	if _, ok := gates.MeasureGate(loadharness.MustParseGate("errors == 0"), loadharness.Scope{Scenario: "a"}); ok {
		t.Error("the promql measurer answered errors == 0")
	}
}

func TestMeasurePromQLWithoutPrometheus(t *testing.T) {
	s := mustSuite(t, promQLSuite)
	t0 := time.Now()
	outcomes := map[string]scenarios.Outcome{"a": {Started: t0, Finished: t0.Add(time.Second)}}
	gates, warnings := measurePromQL(context.Background(), nil, "no Prometheus to ask", s, outcomes, t.Logf)
	if len(gates) != 0 || len(warnings) != 1 || !strings.Contains(warnings[0], "promql gates not measured: no Prometheus to ask") {
		t.Errorf("gates %v, warnings %q, want none and one warning saying there is no Prometheus", gates, warnings)
	}
	// A suite without promql gates needs no Prometheus and says nothing.
	plain := mustSuite(t, "name: plain\ngates: [errors == 0]\nscenarios: [{name: a, users: 1, duration: 1s, steps: [{name: x, path: /x}]}]\n")
	if _, warnings := measurePromQL(context.Background(), nil, "none", plain, outcomes, t.Logf); len(warnings) != 0 {
		t.Errorf("warnings %q for a suite without promql gates", warnings)
	}
}

// promQLGate logs every gate and returns the last promql gate among
// them, nil for none.
func promQLGate(tb testing.TB, gates []loadharness.GateResult) *loadharness.GateResult {
	tb.Helper()
	var found *loadharness.GateResult
	for i, g := range gates {
		tb.Logf("gate %s", g.Display)
		if g.Gate.Metric.FromPrometheus() {
			found = &gates[i]
		}
	}
	return found
}

// TestUnreachablePrometheusIsNotMeasured: a run whose Prometheus does not
// answer cannot pass its promql gate, and says why.
func TestUnreachablePrometheusIsNotMeasured(t *testing.T) {
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer target.Close()
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close() // its port now refuses connections
	s := mustSuite(t, "name: unreachable\nabort: off\n"+
		"scenarios:\n  - name: a\n    users: 2\n    rate: 20/s\n    duration: 1s\n"+
		"    gates: [\"promql(`up`) >= 1\", errors == 0]\n    steps: [{name: x, path: /x}]\n")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := RunOn(ctx, external.Provider{URL: target.URL}, s, false, WithLogf(t.Logf), WithPrometheus(dead.URL))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	promGate := promQLGate(t, res.Summary.Gates)
	if promGate == nil || promGate.Pass || !promGate.Missing {
		t.Fatalf("promql gate %+v, want it not measured", promGate)
	}
	if got := res.Summary.Verdict; got == loadharness.VerdictPass {
		t.Errorf("verdict %s with an unmeasured promql gate", got)
	}
	found := false
	for _, w := range res.Summary.Warnings {
		found = found || strings.Contains(w, "a: promql(up) not measured") && strings.Contains(w, dead.URL)
	}
	if !found {
		t.Errorf("warnings %q do not say the query to %s failed", res.Summary.Warnings, dead.URL)
	}
}

// promStack is a stack that brought up its own Prometheus; only
// PrometheusURL is asked of it here.
type promStack struct {
	stack.Stack
	url string
}

func (s promStack) PrometheusURL() string { return s.url }

// constantPrometheus answers every range query with one series whose one
// point is value, and has no scrape targets to wait for.
func constantPrometheus(tb testing.TB, value string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "/targets") {
			fmt.Fprint(w, `{"status":"success","data":{"activeTargets":[],"droppedTargets":[]}}`)
			return
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1796637600,%q]]}]}}`, value)
	}))
	tb.Cleanup(srv.Close)
	return srv.URL
}

// TestPrometheusChoice: WithPrometheus wins over the stack's own
// Prometheus, which is used when no URL is given.
func TestPrometheusChoice(t *testing.T) {
	s := mustSuite(t, "name: choice\nscenarios: [{name: a, users: 1, duration: 1s, gates: [\"promql(`x`) < 10\"], steps: [{name: x, path: /x}]}]\n")
	t0 := time.Now()
	outcomes := map[string]scenarios.Outcome{"a": {Started: t0, Finished: t0.Add(time.Second)}}
	flag, own := constantPrometheus(t, "2"), constantPrometheus(t, "1")
	tests := []struct {
		name     string
		url      string
		st       stack.Stack
		measured float64
		missing  bool
	}{
		{"the stack's own", "", promStack{url: own}, 1, false},
		{"the flag wins", flag, promStack{url: own}, 2, false},
		{"the flag alone", flag, nil, 2, false},
		{"none", "", nil, 0, true},
		{"a stack without one", "", promStack{}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prom, none := prometheusClient(tt.url, tt.st)
			gates, warnings := judgePromQL(context.Background(), prom, none, s, outcomes, t.Logf)
			r := s.Scenarios[0].Gates[0].Gate.Evaluate("a", gates)
			if r.Missing != tt.missing || r.Measured != tt.measured {
				t.Errorf("%s, warnings %q: want measured %v, missing %v", r.Display, warnings, tt.measured, tt.missing)
			}
		})
	}
}
