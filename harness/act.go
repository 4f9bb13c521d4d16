package harness

import (
	"context"
	"fmt"
	"time"

	"loadharness"
)

// stackParts is what a provider knows how to do to the parts of its stack.
// Each returns the name of the part it acted on (also when it failed, so the
// event names it). act turns a timed action into one of them, so every
// provider reports actions the same way.
type stackParts interface {
	actKill(ctx context.Context, instance int) (string, error)
	actRestart(ctx context.Context, instance int) (string, error)
	actAdd(ctx context.Context) (string, error)
	actRemove(ctx context.Context, instance int) (string, error)
	actRestartRedis(ctx context.Context) error
}

// act carries out a timed action on p and returns the event that reports
// it; a failed action is an event with its error as the detail.
func act(ctx context.Context, p stackParts, kind string, instance int) (loadharness.Event, error) {
	ev := loadharness.Event{Kind: kind}
	var err error
	switch kind {
	case "kill-instance":
		ev.Target, err = p.actKill(ctx, instance)
	case "restart-instance":
		ev.Target, err = p.actRestart(ctx, instance)
	case "add-instance":
		ev.Target, err = p.actAdd(ctx)
	case "remove-instance":
		ev.Target, err = p.actRemove(ctx, instance)
	case "restart-redis":
		ev.Target, err = "redis", p.actRestartRedis(ctx)
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
