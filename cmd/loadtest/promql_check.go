package main

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"loadharness"
	"loadharness/harness/promql"
	"loadharness/scenarios/suite"
)

// promQLProblems lists the suite's promql gates that could not be judged,
// each at the gate's place in the file: an expression Prometheus would not
// parse, pointed at the character it refused, and a gate on a run with no
// Prometheus to ask (no --prometheus-url, and no prometheus: true in the
// stack of a provider that can bring one up; the external one cannot).
func promQLProblems(s *suite.Suite, external bool, prometheusURL string) []suite.Problem {
	var problems []suite.Problem
	seen := map[suite.Pos]bool{}
	for _, sc := range s.Scenarios {
		for _, g := range sc.Gates {
			if !g.Gate.Metric.FromPrometheus() || seen[g.Pos] {
				continue // a suite gate is checked once for all its scenarios
			}
			seen[g.Pos] = true
			at := func(column int, msg string) {
				problems = append(problems, suite.Problem{File: g.Pos.File, Line: g.Pos.Line, Column: g.Pos.Column + column - 1,
					Msg: fmt.Sprintf("gate %s: %s", g.Gate.Metric.Name, msg)})
			}
			var bad *promql.SyntaxError
			if err := promql.Check(g.Gate.Metric.PromQL); errors.As(err, &bad) {
				col, ok := loadharness.PromQLColumn(g.Text, bad.Offset)
				if !ok {
					col = 1 // unreachable: the gate parsed as a promql gate
				}
				at(col, bad.Msg)
			}
			switch {
			case prometheusURL != "":
			case external:
				at(1, "needs a Prometheus, and an external service brings none: give --prometheus-url URL (your Prometheus's HTTP API)")
			case !s.Stack.Prometheus:
				at(1, "needs a Prometheus: give --prometheus-url URL, or set prometheus: true under the suite's stack")
			}
		}
	}
	for _, sc := range s.Scenarios {
		a := sc.Autoscale
		if a == nil || a.Signal != suite.SignalPromQL || seen[a.QueryPos] {
			continue
		}
		seen[a.QueryPos] = true
		at := func(offset int, msg string) {
			problems = append(problems, suite.Problem{File: a.QueryPos.File, Line: a.QueryPos.Line,
				Column: a.QueryPos.Column + utf8.RuneCountInString(a.Query[:offset]),
				Msg:    fmt.Sprintf("autoscale query %q: %s", a.Query, msg)})
		}
		var bad *promql.SyntaxError
		if err := promql.Check(a.Query); errors.As(err, &bad) {
			at(min(bad.Offset, len(a.Query)), bad.Msg)
		}
		switch {
		case prometheusURL != "":
		case external:
			at(0, "needs a Prometheus, and an external service brings none: give --prometheus-url URL (your Prometheus's HTTP API)")
		case !s.Stack.Prometheus:
			at(0, "needs a Prometheus: give --prometheus-url URL, or set prometheus: true under the suite's stack")
		}
	}
	return problems
}
