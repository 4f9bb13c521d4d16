package harness

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"loadharness"
	"loadharness/scenarios"
)

// replaceInstance deploys a new copy of instance i the way a rolling deploy
// with a surge of one does: a new instance starts and joins the balancer
// (add-instance waits until it is ready), then the old one is drained and
// stopped gracefully (remove-instance: no new requests, the ones in flight
// finish, then SIGTERM). Capacity never drops below what it was, and no
// request is sent to an instance that is going away. It needs nothing of a
// provider beyond add- and remove-instance, so every provider that scales
// can deploy.
func replaceInstance(ctx context.Context, stack Stack, i int) (loadharness.Event, error) {
	ev := loadharness.Event{Kind: scenarios.ActionReplaceInstance, Target: "instance-" + strconv.Itoa(i)}
	added, err := stack.Act(ctx, scenarios.ActionAddInstance, 0)
	if err != nil {
		ev.At, ev.Detail = time.Now(), "start the replacement: "+err.Error()
		return ev, fmt.Errorf("replace instance %d: %w", i, err)
	}
	removed, err := stack.Act(ctx, scenarios.ActionRemoveInstance, i)
	ev.At = time.Now()
	if err != nil {
		// The replacement serves; the old one may still be in the rotation.
		ev.Detail = added.Target + " started, but removing " + ev.Target + " failed: " + err.Error()
		return ev, fmt.Errorf("replace instance %d: %w", i, err)
	}
	if removed.Target != "" {
		ev.Target = removed.Target
	}
	ev.Detail = "replaced by " + added.Target
	return ev, nil
}

// instanceNumber reads N from an event target "instance-N".
func instanceNumber(target string) (int, bool) {
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
