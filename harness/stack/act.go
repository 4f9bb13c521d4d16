package stack

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"loadharness"
)

// Parts is what a provider knows how to do to the parts of its stack. Each
// method returns the name of the part it acted on (also when it failed, so
// the event names it). Act turns a timed action into calls of them, so that
// every provider reports actions the same way.
type Parts interface {
	Kill(ctx context.Context, instance int) (string, error)
	Restart(ctx context.Context, instance int) (string, error)
	Add(ctx context.Context) (string, error)
	Remove(ctx context.Context, instance int) (string, error)
	RestartRedis(ctx context.Context) error
}

// Act carries out a timed action on p and returns the event that reports
// it; a failed action is an event with its error as the detail.
func Act(ctx context.Context, p Parts, kind loadharness.ActionKind, instance int) (loadharness.Event, error) {
	if kind == loadharness.ActionReplaceInstance {
		return replace(ctx, p, instance)
	}
	ev := loadharness.Event{Kind: string(kind)}
	var err error
	switch kind {
	case loadharness.ActionKillInstance:
		ev.Target, err = p.Kill(ctx, instance)
	case loadharness.ActionRestartInstance:
		ev.Target, err = p.Restart(ctx, instance)
	case loadharness.ActionAddInstance:
		ev.Target, err = p.Add(ctx)
	case loadharness.ActionRemoveInstance:
		ev.Target, err = p.Remove(ctx, instance)
	case loadharness.ActionRestartRedis:
		ev.Target, err = "redis", p.RestartRedis(ctx)
	default:
		err = fmt.Errorf("unknown action %q", kind)
	}
	ev.At = time.Now()
	if err != nil {
		ev.Detail = err.Error()
		return ev, fmt.Errorf("%s: %w", kind, err)
	}
	return ev, nil
}

// replace deploys a new copy of instance i the way a rolling deploy with a
// surge of one does: a new instance starts and joins the balancer (Add
// waits until it is ready), then the old one is drained and stopped
// gracefully (Remove: no new requests, the ones in flight finish, then
// SIGTERM). Capacity never drops below what it was, and no request is sent
// to an instance that is going away. It needs nothing of a provider beyond
// Add and Remove, so every provider that scales can deploy.
func replace(ctx context.Context, p Parts, i int) (loadharness.Event, error) {
	ev := loadharness.Event{Kind: string(loadharness.ActionReplaceInstance), Target: "instance-" + strconv.Itoa(i)}
	added, err := p.Add(ctx)
	if err != nil {
		ev.At, ev.Detail = time.Now(), "start the replacement: "+err.Error()
		return ev, fmt.Errorf("replace instance %d: %w", i, err)
	}
	removed, err := p.Remove(ctx, i)
	ev.At = time.Now()
	if err != nil {
		// The replacement serves; the old one may still be in the rotation.
		ev.Detail = added + " started, but removing " + ev.Target + " failed: " + err.Error()
		return ev, fmt.Errorf("replace instance %d: %w", i, err)
	}
	if removed != "" {
		ev.Target = removed
	}
	ev.Detail = "replaced by " + added
	return ev, nil
}

// InstanceNumber reads N from an event target "instance-N".
func InstanceNumber(target string) (int, bool) {
	digits, ok := strings.CutPrefix(target, "instance-")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}
