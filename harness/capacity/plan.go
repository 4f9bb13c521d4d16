package capacity

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"loadharness"
	"loadharness/scenarios/suite"
)

// The user pool of an open-model step holds rate × poolSeconds users, at
// least minPool. A pool that runs out makes requests wait for a free user,
// which the latency measured from when each request was due carries, so the
// pool must outlast the latency the target actually shows: poolSeconds is
// poolHeadroom times the highest median latency seen at a passing step, at
// least minPoolSeconds, at most the tightest latency bound of the gates.
// A larger pool costs every step a longer setup (each user logs in and
// uploads), which on a small stack is a load of its own.
const (
	minPoolSeconds = 0.25
	maxPoolSeconds = 1.0
	poolHeadroom   = 4.0
	minPool        = 8
)

// capacityPlan is a validated capacity search: the scenario it scales, the
// gates each step is judged on, and how it searches.
type capacityPlan struct {
	suite *suite.Suite
	base  *suite.Scenario
	by    LoadAxis
	opts  SearchOptions
	// judged are the base scenario's gates a search can use; unjudged the
	// rest (a floor on throughput or on a count).
	judged, unjudged []suite.GateSpec
	warnings         []string
	// maxFrom says where the search's maximum comes from when a limit of
	// the suite set it; "" otherwise.
	maxFrom string
	// medianHint is the highest median latency (ms) seen at a passing
	// step: what sizes the next pools.
	medianHint float64
	progress   func(format string, args ...any)
	logf       func(format string, args ...any)
	// prometheusURL is Config.PrometheusURL.
	prometheusURL string
}

// newCapacityPlan checks cfg and works out the search.
func newCapacityPlan(cfg Config) (*capacityPlan, error) {
	if cfg.Suite == nil || len(cfg.Suite.Scenarios) == 0 {
		return nil, errors.New("capacity: no suite or no scenario")
	}
	if cfg.Provider == nil {
		return nil, errors.New("capacity: no provider")
	}
	s := *cfg.Suite
	if cfg.Shape != nil {
		s.Stack = *cfg.Shape
	}
	base := s.Scenarios[0]
	if cfg.Scenario != "" {
		if base = s.Scenario(cfg.Scenario); base == nil {
			var names []string
			for _, sc := range s.Scenarios {
				names = append(names, sc.Name)
			}
			return nil, fmt.Errorf("capacity: suite %s has no scenario %q (it has %s)", s.Name, cfg.Scenario, strings.Join(names, ", "))
		}
	}
	p := &capacityPlan{suite: &s, base: base, by: cfg.By, logf: cfg.Logf, progress: func(string, ...any) {}, prometheusURL: cfg.PrometheusURL}
	if p.logf == nil {
		p.logf = func(string, ...any) {}
	}
	if cfg.Progress != nil {
		p.progress = func(format string, args ...any) { fmt.Fprintf(cfg.Progress, format+"\n", args...) }
	}
	switch p.by {
	case "":
		p.by = ByUsers
		if base.Load.Open() {
			p.by = ByRate
		}
	case ByUsers, ByRate:
	default:
		return nil, fmt.Errorf("capacity: by must be %q or %q, not %q", ByUsers, ByRate, p.by)
	}
	if p.by == ByUsers && base.Load.Open() && base.Think == 0 {
		p.warnings = append(p.warnings, fmt.Sprintf(
			"scenario %s is an open model searched by users: each user sends its next request as soon as the last answered (no think time)", base.Name))
	}
	if len(base.Actions) > 0 {
		p.warnings = append(p.warnings, fmt.Sprintf("the %d timed action(s) of %s are left out of the search", len(base.Actions), base.Name))
	}
	for _, g := range base.Gates {
		if searchable(g.Gate) {
			p.judged = append(p.judged, g)
		} else {
			p.unjudged = append(p.unjudged, g)
		}
	}
	if len(p.judged) == 0 {
		return nil, fmt.Errorf("capacity: scenario %s has no gate a search can judge (latency, error ratio, or a count that must stay low)", base.Name)
	}
	p.opts = cfg.Search.withDefaults(p.by)
	p.capToLimits()
	if p.opts.Start <= 0 {
		p.opts.Start = p.ownLoad()
	}
	return p, nil
}

// capToLimits keeps the search within the suite's limits (limits.max_rate,
// limits.max_users), which a suite raises on purpose: a search must not turn
// a suite into the storm its limits forbid.
func (p *capacityPlan) capToLimits() {
	l := p.suite.Limits
	limit, name := 0.0, ""
	switch {
	case p.by == ByRate && l.MaxRate > 0:
		limit, name = float64(l.MaxRate), "limits.max_rate"
	case p.by == ByUsers && l.MaxUsers > 0:
		limit, name = float64(l.MaxUsers), "limits.max_users"
	}
	if limit > 0 && p.opts.Max > limit {
		p.opts.Max = limit
		p.maxFrom = fmt.Sprintf("the suite's %s (%s)", name, formatLoad(limit, p.by))
	}
}

// searchable reports whether a gate gets worse as load grows, so that a
// search can look for the highest load that meets it. A floor on
// throughput (or on a count of requests) fails at every low load instead.
func searchable(g loadharness.Gate) bool {
	if g.Metric.FromEvents() {
		return false // measured around timed actions, which a search leaves out
	}
	switch g.Metric.Kind {
	case loadharness.KindRate:
		return false
	case loadharness.KindCount:
		return g.Op == loadharness.OpLess || g.Op == loadharness.OpLessEqual || g.Op == loadharness.OpEqual
	}
	return true
}

// ownLoad is the scenario's own load on the search's axis.
func (p *capacityPlan) ownLoad() float64 {
	if p.by == ByUsers {
		return float64(p.base.Users)
	}
	switch m := p.base.Load; m.Kind {
	case suite.Constant:
		return float64(m.Rate)
	case suite.Ramp:
		return float64(max(m.From, m.To))
	case suite.Staged:
		peak := suite.Rate(0)
		for _, s := range m.Stages {
			peak = max(peak, s.Rate)
		}
		return float64(peak)
	}
	// A closed scenario searched by rate: what its users would send were
	// each request instant.
	if p.base.Think > 0 {
		return float64(p.base.Users) / p.base.Think.Seconds()
	}
	return 10
}

// scenarioAt is the base scenario at load, run for measure after warmup,
// judged on the searchable gates only and without timed actions.
func (p *capacityPlan) scenarioAt(load float64, warmup, measure time.Duration) *suite.Scenario {
	sc := *p.base
	sc.Actions = nil
	sc.Gates = p.judged
	sc.Warmup, sc.Duration = warmup, measure
	if p.by == ByUsers {
		sc.Users = int(math.Max(math.Round(load), 1))
		sc.Load = suite.LoadModel{Kind: suite.Closed}
		return &sc
	}
	sc.Load = suite.LoadModel{Kind: suite.Constant, Rate: suite.Rate(load)}
	sc.Users = min(max(minPool, int(math.Ceil(load*p.poolSeconds()))), p.maxUsers())
	return &sc
}

// maxUsers is the most users a step may have: the suite's limit, if any.
func (p *capacityPlan) maxUsers() int {
	if l := p.suite.Limits.MaxUsers; l > 0 {
		return min(l, suite.MaxUsers)
	}
	return suite.MaxUsers
}

// poolSeconds is how long the pool of an open-model step must last: see
// poolHeadroom.
func (p *capacityPlan) poolSeconds() float64 {
	bound := maxPoolSeconds
	for _, g := range p.judged {
		if g.Gate.Metric.Kind == loadharness.KindLatency && (g.Gate.Op == loadharness.OpLess || g.Gate.Op == loadharness.OpLessEqual) {
			bound = min(bound, g.Gate.Threshold/1000)
		}
	}
	bound = max(bound, minPoolSeconds)
	return min(max(poolHeadroom*p.medianHint/1000, minPoolSeconds), bound)
}

// observe learns from a step what sizes the next pools.
func (p *capacityPlan) observe(pt CurvePoint) {
	if pt.Verdict == loadharness.VerdictPass && pt.Requests > 0 {
		p.medianHint = max(p.medianHint, pt.P50)
	}
}

// suiteAt is the suite reduced to the scaled scenario.
func (p *capacityPlan) suiteAt(sc *suite.Scenario) *suite.Suite {
	s := *p.suite
	s.Scenarios = []*suite.Scenario{sc}
	return &s
}

// gateTexts lists the judged gates.
func (p *capacityPlan) gateTexts() []string {
	out := make([]string, len(p.judged))
	for i, g := range p.judged {
		out[i] = g.Gate.String()
	}
	return out
}

// unjudgedAgainst says how capacity compares to each gate left out of the
// search: a throughput floor is met when the capacity found (in req/s) is
// above it.
func (p *capacityPlan) unjudgedAgainst(capacity float64) []string {
	var out []string
	for _, g := range p.unjudged {
		line := g.Gate.String() + ": not judged per step (it fails at every load below its floor)"
		if p.by == ByRate && g.Gate.Metric.Name == loadharness.MetricThroughput {
			verdict := "not met"
			if g.Gate.Op.Holds(capacity, g.Gate.Threshold) {
				verdict = "met"
			}
			line = fmt.Sprintf("%s: %s by the capacity found (%s)", g.Gate.String(), verdict, loadharness.KindRate.Format(capacity))
		}
		out = append(out, line)
	}
	return out
}
