package harness

import (
	"context"
	"slices"
	"time"

	"loadharness"
	"loadharness/harness/stack"
	"loadharness/scenarios/suite"
)

// actFunc carries out one action on the stack; reason is the event's
// detail on success.
type actFunc func(ctx context.Context, kind loadharness.ActionKind, instance int, reason string) (loadharness.Event, error)

// autoscaler applies a scenario's scaling policy to the stack while the
// scenario runs: once every suite.AutoscaleInterval it reads the
// signal, and when the policy says so it adds an instance or drains and
// removes the newest one. Actions go through act, so the recorder and the
// summary see them like timed actions.
type autoscaler struct {
	state  *scaleState
	signal signalSource
	act    actFunc
	logf   func(format string, args ...any)
	// present lists the instance numbers in the stack, oldest first: the
	// newest is the first to go on a scale-in.
	present []int

	halt chan struct{}
	done chan struct{}
}

// startAutoscaler starts applying policy on its own goroutine until stop,
// on a stack that starts with instances numbered 1..instances. Instances
// that timed actions add or remove are not its to track.
func startAutoscaler(ctx context.Context, policy suite.Autoscale, instances int, signal signalSource, act actFunc, logf func(string, ...any)) *autoscaler {
	a := &autoscaler{
		state:  newScaleState(policy, instances),
		signal: signal,
		act:    act,
		logf:   logf,
		halt:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	for i := 1; i <= instances; i++ {
		a.present = append(a.present, i)
	}
	logf("autoscale: %s", policy.String())
	go a.loop(ctx)
	return a
}

func (a *autoscaler) loop(ctx context.Context) {
	defer close(a.done)
	tick := time.NewTicker(suite.AutoscaleInterval)
	defer tick.Stop()
	for {
		select {
		case <-a.halt:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		v, ok := a.signal.read(ctx)
		now := time.Now()
		d := a.state.observe(now, v, ok)
		if d == scaleHold {
			continue
		}
		a.carryOut(ctx, d, v)
	}
}

// carryOut adds or removes one instance and starts the cooldown.
func (a *autoscaler) carryOut(ctx context.Context, d scaleDecision, v float64) {
	reason := a.state.reason(d, v)
	var ok bool
	switch d {
	case scaleOut:
		ev, err := a.act(ctx, loadharness.ActionAddInstance, 0, reason)
		if ok = err == nil; ok {
			if n, named := stack.InstanceNumber(ev.Target); named {
				a.present = append(a.present, n)
			} else {
				a.logf("autoscale: added %q, which it cannot remove later (no instance number)", ev.Target)
			}
		}
	case scaleIn:
		if len(a.present) == 0 {
			return
		}
		newest := a.present[len(a.present)-1]
		_, err := a.act(ctx, loadharness.ActionRemoveInstance, newest, reason)
		ok = err == nil
		// Gone either way: a failed drain leaves an instance the policy
		// cannot count on.
		a.present = slices.Delete(a.present, len(a.present)-1, len(a.present))
	}
	a.state.acted(time.Now(), d, ok)
}

// stop ends the policy; an action in progress completes first.
func (a *autoscaler) stop() {
	select {
	case <-a.halt:
	default:
		close(a.halt)
	}
	<-a.done
}
