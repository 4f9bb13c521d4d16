package suite

import (
	"fmt"
	"slices"

	"loadharness"
)

// sessionMetrics need a session probe: a step that captures a data set
// and one that checks the session.
var sessionMetrics = []string{
	loadharness.MetricSessionsChecked, loadharness.MetricSessionsLost,
	loadharness.MetricSessionsVerified, loadharness.MetricSessionsUnverified,
}

// HasSessionProbe reports whether the scenario can prove sessions: one of
// its steps captures a data set and one checks the session.
func (sc *Scenario) HasSessionProbe() bool {
	captures, checks := false, false
	for _, list := range [][]Step{sc.Setup, sc.Steps} {
		for _, st := range list {
			captures = captures || st.Capture
			checks = checks || st.Expect.Session
		}
	}
	return captures && checks
}

// Unmeasurable lists the gates this run could not measure, each as a
// problem at the gate, with the reason: a session gate where no step
// proves sessions, and a gate on the target's own counters
// (serialization_errors, target:NAME) when the run has no metrics to scrape
// (targetMetrics false: an external service without --metrics-url). A
// gate that cannot be measured would fail every run as "not measured";
// better refused before anything starts.
func (s *Suite) Unmeasurable(targetMetrics bool) []Problem {
	var problems []Problem
	seen := map[Pos]bool{}
	add := func(g GateSpec, msg string) {
		if seen[g.Pos] {
			return // a suite gate, refused once for all its scenarios
		}
		seen[g.Pos] = true
		problems = append(problems, Problem{File: g.Pos.File, Line: g.Pos.Line, Column: g.Pos.Column,
			Msg: fmt.Sprintf("gate %q cannot be measured: %s", g.Text, msg)})
	}
	for _, sc := range s.Scenarios {
		for _, g := range sc.Gates {
			m := g.Gate.Metric
			switch {
			case slices.Contains(sessionMetrics, m.Name) && !sc.HasSessionProbe():
				add(g, fmt.Sprintf("scenario %q has no step that captures a data set (capture: true) and none that checks the session (expect: {session: true}); remove the gate", sc.Name))
			case m.FromTarget() && !targetMetrics:
				add(g, "it reads the target's own metrics, and this run has none (an external service: give --metrics-url, or remove the gate)")
			}
		}
	}
	return problems
}

// Gateless lists, as problems, the scenarios with no gate at all: a run of
// one could never fail, even with every request failed, so the command line
// refuses it (suites built in code for tests may do without).
func (s *Suite) Gateless() []Problem {
	var problems []Problem
	for _, sc := range s.Scenarios {
		if len(sc.Gates) == 0 {
			problems = append(problems, Problem{File: sc.Pos.File, Line: sc.Pos.Line, Column: sc.Pos.Column,
				Msg: fmt.Sprintf("scenario %q has no gates, so no run of it could fail: add gates to it or to the suite (for example error_rate < 1%%)", sc.Name)})
		}
	}
	return problems
}
