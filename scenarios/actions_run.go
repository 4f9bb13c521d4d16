package scenarios

import (
	"context"
	"strconv"
	"time"

	"loadharness"
	"loadharness/scenarios/suite"
)

// actionRunner carries out a scenario's timed actions on their own goroutine
// while the load runs.
type actionRunner struct {
	stop    chan struct{}
	done    chan struct{}
	events  []loadharness.Event
	skipped []suite.Action
}

// startActions starts the scenario's actions, timed from start.
func (e *engine) startActions(ctx context.Context, start time.Time) *actionRunner {
	r := &actionRunner{stop: make(chan struct{}), done: make(chan struct{})}
	actions := e.sc.Actions
	if len(actions) == 0 {
		close(r.done)
		return r
	}
	go func() {
		defer close(r.done)
		for i, a := range actions {
			timer := time.NewTimer(time.Until(start.Add(a.At)))
			select {
			case <-timer.C:
			case <-r.stop:
				timer.Stop()
				r.skipped = actions[i:]
				return
			case <-ctx.Done():
				timer.Stop()
				r.skipped = actions[i:]
				return
			}
			ev := e.opts.Act(ctx, a)
			if ev.At.IsZero() {
				ev.At = time.Now()
			}
			if ev.Kind == "" {
				ev.Kind = string(a.Do)
			}
			if ev.Target == "" && a.Instance > 0 {
				ev.Target = "instance-" + strconv.Itoa(a.Instance)
			}
			e.logf("%s: %s %s at %s %s", e.sc.Name, ev.Kind, ev.Target, ev.At.Sub(start).Round(time.Millisecond), ev.Detail)
			r.events = append(r.events, ev)
		}
	}()
	return r
}

// finish stops the actions not yet due, waits for one in progress, and
// returns the events and the actions that did not run.
func (r *actionRunner) finish() ([]loadharness.Event, []suite.Action) {
	close(r.stop)
	<-r.done
	return r.events, r.skipped
}
