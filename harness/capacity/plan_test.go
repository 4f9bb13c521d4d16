package capacity

import (
	"strings"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/stack/external"
	"loadharness/scenarios/suite"
)

const planSuite = `
name: plan
gates: [p95 < 500ms, error_rate < 1%, sessions_lost == 0]
scenarios:
  - name: maps
    users: 40
    rate: 120/s
    duration: 10s
    setup: [login, upload]
    steps: [map]
    gates: [throughput >= 100/s, requests >= 10]
  - name: browse
    users: 30
    think: 500ms
    duration: 10s
    setup: [login, upload]
    steps: [dataset]
    actions: [{at: 1s, do: restart-redis}]
`

func mustSuite(t testing.TB, text string) *suite.Suite {
	t.Helper()
	s, err := suite.Parse("plan.yaml", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewCapacityPlan(t *testing.T) {
	s := mustSuite(t, planSuite)
	prov := external.Provider{URL: "http://127.0.0.1:1"}
	tests := []struct {
		name      string
		cfg       Config
		wantBy    LoadAxis
		wantStart float64
		wantErr   string
	}{
		{name: "open scenario searches by rate", cfg: Config{Suite: s, Scenario: "maps", Provider: prov},
			wantBy: ByRate, wantStart: 120},
		{name: "closed scenario searches by users", cfg: Config{Suite: s, Scenario: "browse", Provider: prov},
			wantBy: ByUsers, wantStart: 30},
		{name: "closed scenario by rate", cfg: Config{Suite: s, Scenario: "browse", By: ByRate, Provider: prov},
			wantBy: ByRate, wantStart: 60}, // 30 users / 0.5s of think
		{name: "first scenario by default", cfg: Config{Suite: s, Provider: prov}, wantBy: ByRate, wantStart: 120},
		{name: "given start", cfg: Config{Suite: s, Provider: prov, Search: SearchOptions{Start: 7}}, wantBy: ByRate, wantStart: 7},
		{name: "unknown scenario", cfg: Config{Suite: s, Scenario: "nope", Provider: prov}, wantErr: "no scenario"},
		{name: "unknown axis", cfg: Config{Suite: s, By: "cpu", Provider: prov}, wantErr: "by must be"},
		{name: "no provider", cfg: Config{Suite: s}, wantErr: "no provider"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := newCapacityPlan(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.by, tt.wantBy; got != want {
				t.Errorf("by = %s, want %s", got, want)
			}
			if got, want := p.opts.Start, tt.wantStart; got != want {
				t.Errorf("start = %g, want %g", got, want)
			}
		})
	}
}

func TestCapacityPlanJudgesOnlyGatesThatWorsenWithLoad(t *testing.T) {
	p, err := newCapacityPlan(Config{Suite: mustSuite(t, planSuite), Scenario: "maps", Provider: external.Provider{URL: "http://x"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(p.gateTexts(), ", "), "p95 < 500ms, error_rate < 1%, sessions_lost == 0"; got != want {
		t.Errorf("judged gates = %q, want %q", got, want)
	}
	unjudged := strings.Join(p.unjudgedAgainst(150), "\n")
	for _, want := range []string{"throughput >= 100/s: met by the capacity found (150/s)", "requests >= 10: not judged"} {
		if !strings.Contains(unjudged, want) {
			t.Errorf("unjudged gates %q lack %q", unjudged, want)
		}
	}
}

func TestCapacityPlanScalesTheScenario(t *testing.T) {
	s := mustSuite(t, planSuite)
	rate, err := newCapacityPlan(Config{Suite: s, Scenario: "maps", Provider: external.Provider{URL: "http://x"}})
	if err != nil {
		t.Fatal(err)
	}
	sc := rate.scenarioAt(400, time.Second, 3*time.Second)
	// Before any step the pool lasts the shortest time: 400/s × 0.25s.
	if got, want := sc.Users, 100; got != want {
		t.Errorf("pool at 400/s = %d users, want %d", got, want)
	}
	// A passing step with a median of 100ms: 4 × 100ms of requests.
	rate.observe(CurvePoint{Verdict: loadharness.VerdictPass, Requests: 10, P50: 100})
	if got, want := rate.scenarioAt(400, 0, time.Second).Users, 160; got != want {
		t.Errorf("pool at 400/s after a 100ms median = %d users, want %d", got, want)
	}
	// Never longer than the tightest latency bound, 500ms.
	rate.observe(CurvePoint{Verdict: loadharness.VerdictPass, Requests: 10, P50: 400})
	if got, want := rate.scenarioAt(400, 0, time.Second).Users, 200; got != want {
		t.Errorf("pool at 400/s after a 400ms median = %d users, want %d", got, want)
	}
	if got, want := sc.Load, (suite.LoadModel{Kind: suite.Constant, Rate: 400}); got.Kind != want.Kind || got.Rate != want.Rate {
		t.Errorf("load = %s, want %s", got, want)
	}
	if sc.Warmup != time.Second || sc.Duration != 3*time.Second {
		t.Errorf("warm-up %s and duration %s, want 1s and 3s", sc.Warmup, sc.Duration)
	}
	if got := rate.scenarioAt(2, 0, time.Second).Users; got != minPool {
		t.Errorf("pool at 2/s = %d users, want the minimum %d", got, minPool)
	}
	users, err := newCapacityPlan(Config{Suite: s, Scenario: "browse", Provider: external.Provider{URL: "http://x"}})
	if err != nil {
		t.Fatal(err)
	}
	sc = users.scenarioAt(75, 0, time.Second)
	if sc.Users != 75 || sc.Load.Open() || sc.Think != 500*time.Millisecond || len(sc.Actions) != 0 {
		t.Errorf("users step = %d users, open %v, think %s, %d actions; want 75 closed users thinking 500ms, no actions",
			sc.Users, sc.Load.Open(), sc.Think, len(sc.Actions))
	}
	if len(users.warnings) == 0 || !strings.Contains(users.warnings[0], "timed action") {
		t.Errorf("dropping the timed actions must be said: %q", users.warnings)
	}
	if base := s.Scenario("browse"); base.Users != 30 || len(base.Actions) != 1 {
		t.Errorf("scaling changed the suite's own scenario: %d users, %d actions", base.Users, len(base.Actions))
	}
}
