package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	"loadharness"
	"loadharness/reports/aggregate"
	"loadharness/scenarios/suite"
)

// abortGrace is how long after a second ends before it is judged: results
// are counted in the second their request was sent, and a slow failure
// arrives late. Judging too early could only under-count errors.
const abortGrace = 2 * time.Second

// abortTick is how often the error rate is looked at.
const abortTick = 500 * time.Millisecond

// ErrAborted is the cause given to a scenario's context when the abort rule
// stopped it.
var ErrAborted = errors.New("aborted")

// Abort says why a run was stopped early by its abort rule.
type Abort struct {
	// At is when the rule fired.
	At time.Time
	// Scenario is the scenario that was running.
	Scenario string
	// Reason is for people: the rule and what was measured.
	Reason string
}

// Event is the abort as drawn on the charts.
func (a Abort) Event() loadharness.Event {
	return loadharness.Event{At: a.At, Kind: loadharness.EventAbort, Target: a.Scenario, Detail: a.Reason}
}

// abortCheck looks at secs, the scenario's seconds so far, and reports the
// abort when the last rule.For seconds that saw requests (and are older than
// now-abortGrace) each failed more than rule.ErrorRate of their requests. A
// second without requests neither counts nor breaks the streak: a target
// that answers nothing is judged by the requests that do end.
func abortCheck(rule suite.AbortRule, secs []aggregate.SecondStats, now time.Time) (reason string, fire bool) {
	if rule.Off || rule.For <= 0 {
		return "", false
	}
	need := int((rule.For + time.Second - 1) / time.Second)
	streak, requests, failed := 0, 0, 0
	var from, to int
	for i := len(secs) - 1; i >= 0; i-- {
		s := secs[i]
		if s.Start.Add(time.Second + abortGrace).After(now) {
			continue // not judged yet
		}
		if s.Requests == 0 {
			continue
		}
		if float64(s.Failed) <= rule.ErrorRate*float64(s.Requests) {
			break
		}
		if streak == 0 {
			to = s.Second + 1
		}
		from = s.Second
		streak++
		requests += s.Requests
		failed += s.Failed
		if streak >= need {
			return fmt.Sprintf("aborted: %s (%d of %d requests failed, %.0f%%, from %ds to %ds into the run)",
				rule, failed, requests, 100*float64(failed)/float64(requests), from, to), true
		}
	}
	return "", false
}

// AbortCheck is asked twice a second about a running scenario, with the
// results folded so far; a non-empty reason stops the scenario at once and
// fails the run. live answers for loadharness.Scope{Scenario: scenario}.
type AbortCheck func(scenario string, live *aggregate.Aggregate, now time.Time) (reason string)

// suiteAbortCheck is the suite's own abort rule (see abortCheck).
func suiteAbortCheck(rule suite.AbortRule) AbortCheck {
	return func(scenario string, live *aggregate.Aggregate, now time.Time) string {
		reason, fire := abortCheck(rule, live.SecondCounts(loadharness.Scope{Scenario: scenario}), now)
		if !fire {
			return ""
		}
		return reason
	}
}

// watchAbort asks every check about the scenario twice a second and, when
// one gives a reason, cancels the scenario with ErrAborted. The returned
// stop ends the watch and returns the abort, nil when none fired.
func watchAbort(ctx context.Context, scenario string, live *aggregate.Aggregate, checks []AbortCheck,
	cancel context.CancelCauseFunc, logf func(string, ...any)) (stop func() *Abort) {
	if len(checks) == 0 {
		return func() *Abort { return nil }
	}
	done := make(chan struct{})
	result := make(chan *Abort, 1)
	go func() {
		tick := time.NewTicker(abortTick)
		defer tick.Stop()
		for {
			select {
			case <-done:
				result <- nil
				return
			case <-ctx.Done():
				result <- nil
				return
			case now := <-tick.C:
				for _, check := range checks {
					reason := check(scenario, live, now)
					if reason == "" {
						continue
					}
					logf("%s: %s; stopping it so it does not keep hammering a failing target (set `abort: off` in the suite to run on)", scenario, reason)
					cancel(fmt.Errorf("%w: %s", ErrAborted, reason))
					result <- &Abort{At: now, Scenario: scenario, Reason: reason}
					return
				}
			}
		}
	}()
	return func() *Abort {
		close(done)
		return <-result
	}
}
