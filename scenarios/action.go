package scenarios

import (
	"cmp"
	"slices"
	"time"
)

// Kinds of timed actions. The harness carries them out (RunOptions.Act); the
// names match its Stack.Act.
const (
	ActionKillInstance    = "kill-instance"
	ActionRestartInstance = "restart-instance"
	ActionAddInstance     = "add-instance"
	ActionRemoveInstance  = "remove-instance"
	ActionRestartRedis    = "restart-redis"
	// ActionReplaceInstance deploys a new copy of an instance as a rolling
	// deploy does: a new instance joins the balancer, then the old one is
	// drained (no new requests, the ones in flight finish) and stopped
	// gracefully. Unlike restart-instance, no request meets a stopping
	// instance.
	ActionReplaceInstance = "replace-instance"
	// ActionFault switches a fault on the Redis link on (and, For later, off):
	// see Fault. Only the process provider carries it out.
	ActionFault = "fault"
)

// ActionKinds lists every kind of timed action.
var ActionKinds = []string{ActionKillInstance, ActionRestartInstance, ActionReplaceInstance, ActionAddInstance, ActionRemoveInstance, ActionRestartRedis, ActionFault}

// Action is something done to the stack at a time during a scenario, for
// example killing an instance to prove that sessions survive failover.
type Action struct {
	// At is when to act, from the start of the measured part of the scenario
	// (after warm-up).
	At time.Duration
	// Do is one of ActionKinds.
	Do string
	// Instance is the 1-based instance acted on by kill-, restart-,
	// replace- and remove-instance; 0 otherwise. Instances are numbered in
	// the order they were started: an added or replacing instance takes the
	// next number.
	Instance int
	// Fault is the fault of an ActionFault; nil otherwise.
	Fault *Fault
}

// actionNeedsInstance reports whether kind acts on one instance.
func actionNeedsInstance(kind string) bool {
	switch kind {
	case ActionKillInstance, ActionRestartInstance, ActionReplaceInstance, ActionRemoveInstance:
		return true
	}
	return false
}

// sortActions orders actions by At, keeping the order of equal times.
func sortActions(list []Action) {
	slices.SortStableFunc(list, func(a, b Action) int { return cmp.Compare(a.At, b.At) })
}
