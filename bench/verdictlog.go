package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// stampedLine is one line of a command's output and when it arrived, from
// the command's start: the loadtest's own log stamps are whole seconds.
type stampedLine struct {
	at   time.Duration
	text string
}

// verdictPhase is one part of `make loadtest`'s wall time.
type verdictPhase struct {
	name string
	took time.Duration
}

// Lines of `make loadtest` the breakdown keys on. The loadtest's log lines
// start with a clock ("15:04:05 loadtest: ..."), which the patterns skip.
var (
	reLoadtestCmd = regexp.MustCompile(`(^|/)loadtest run\b`)
	reStackReady  = regexp.MustCompile(`loadtest: stack ready in `)
	rePhase       = regexp.MustCompile(`loadtest: (.+): (setup|warm-up|main) phase (started|ended)\b`)
	reVerdictHead = regexp.MustCompile(`^SCENARIO\s+GATE\b`)
	reVerdict     = regexp.MustCompile(`^VERDICT: `)
	reSummary     = regexp.MustCompile(`^summary: `)
)

// parseVerdictLog breaks the wall time of a `make loadtest` run (its lines
// as they arrived, and total, when it exited) into build, stack up, the
// scenarios' setup, warm-up and measured parts, the pauses between them,
// reports and tear-down. A part whose lines are missing is left out and its
// time counts in the next part found; the parts add up to total.
func parseVerdictLog(lines []stampedLine, total time.Duration) ([]verdictPhase, error) {
	var (
		cmdAt, readyAt, verdictAt, headAt, summaryAt time.Duration = -1, -1, -1, -1, -1
		firstPhase, lastPhase                        time.Duration = -1, -1
		sums                                                       = map[string]time.Duration{}
		open                                                       = map[string]time.Duration{}
		scenarios                                    []string
	)
	for _, l := range lines {
		text := strings.TrimSpace(l.text)
		switch {
		case cmdAt < 0 && reLoadtestCmd.MatchString(text) && !strings.Contains(text, " loadtest: "):
			cmdAt = l.at
		case readyAt < 0 && reStackReady.MatchString(text):
			readyAt = l.at
		case rePhase.MatchString(text):
			m := rePhase.FindStringSubmatch(text)
			key := m[1] + "\x00" + m[2]
			if m[3] == "started" {
				open[key] = l.at
				if firstPhase < 0 {
					firstPhase = l.at
				}
				if !slices.Contains(scenarios, m[1]) {
					scenarios = append(scenarios, m[1])
				}
				continue
			}
			if began, ok := open[key]; ok {
				sums[m[2]] += l.at - began
				delete(open, key)
			}
			lastPhase = l.at
		case headAt < 0 && reVerdictHead.MatchString(text):
			headAt = l.at
		case reVerdict.MatchString(text):
			verdictAt = l.at
		case reSummary.MatchString(text):
			summaryAt = l.at
		}
	}
	if cmdAt < 0 || firstPhase < 0 || lastPhase < firstPhase {
		return nil, fmt.Errorf("parse make loadtest: no loadtest command or scenario phases in %d lines", len(lines))
	}
	setup, warm, main := sums["setup"], sums["warm-up"], sums["main"]
	span := lastPhase - firstPhase
	if setup+warm+main > span || cmdAt > firstPhase || readyAt > firstPhase {
		return nil, fmt.Errorf("parse make loadtest: phases overlap or come out of order")
	}
	var phases []verdictPhase
	prev := time.Duration(0)
	mark := func(name string, at time.Duration) {
		if at < prev {
			return
		}
		phases = append(phases, verdictPhase{name, at - prev})
		prev = at
	}
	mark("build (go build, make)", cmdAt)
	if readyAt >= 0 {
		mark("stack up (from loadtest's start)", readyAt)
	}
	if firstPhase > prev {
		mark("before the first scenario", firstPhase)
	}
	phases = append(phases,
		verdictPhase{fmt.Sprintf("scenarios: setup (%d scenarios)", len(scenarios)), setup},
		verdictPhase{"scenarios: warm-up", warm},
		verdictPhase{"scenarios: measured", main},
		verdictPhase{"scenarios: between phases (metrics scrapes, actions)", span - setup - warm - main},
	)
	prev = lastPhase
	switch {
	case headAt >= 0:
		mark("reports (gates, summary.json, verdict table)", headAt)
		if verdictAt >= 0 {
			mark("verdict table", verdictAt)
		}
	case verdictAt >= 0:
		mark("reports (gates, summary.json, verdict table)", verdictAt)
	}
	if summaryAt >= 0 {
		mark("tear-down (stack closed)", summaryAt)
	}
	mark("exit", total)
	return phases, nil
}
