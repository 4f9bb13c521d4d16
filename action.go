package loadharness

// ActionKind names a timed action on the stack: what a suite's `do:` says
// and what a stack's Act carries out. A string type, so that a suite file
// reads naturally and a typo is caught where the kind is parsed, not where
// it is dispatched.
type ActionKind string

// Kinds of timed actions.
const (
	ActionKillInstance    ActionKind = "kill-instance"
	ActionRestartInstance ActionKind = "restart-instance"
	ActionAddInstance     ActionKind = "add-instance"
	ActionRemoveInstance  ActionKind = "remove-instance"
	ActionRestartRedis    ActionKind = "restart-redis"
	// ActionReplaceInstance deploys a new copy of an instance as a rolling
	// deploy does: a new instance joins the balancer, then the old one is
	// drained (no new requests, the ones in flight finish) and stopped
	// gracefully. Unlike restart-instance, no request meets a stopping
	// instance.
	ActionReplaceInstance ActionKind = "replace-instance"
	// ActionFault switches a fault on the Redis link on (and, For later,
	// off). Only a stack with a fault proxy carries it out.
	ActionFault ActionKind = "fault"
)

// ActionKinds lists every kind of timed action, in the order the docs
// name them.
var ActionKinds = []ActionKind{ActionKillInstance, ActionRestartInstance, ActionReplaceInstance,
	ActionAddInstance, ActionRemoveInstance, ActionRestartRedis, ActionFault}

// NeedsInstance reports whether k acts on one numbered instance.
func (k ActionKind) NeedsInstance() bool {
	switch k {
	case ActionKillInstance, ActionRestartInstance, ActionReplaceInstance, ActionRemoveInstance:
		return true
	}
	return false
}

// Event kinds the harness records besides the actions themselves.
const (
	// EventFaultOn and EventFaultOff mark a fault switched on or off.
	EventFaultOn  = "fault-on"
	EventFaultOff = "fault-off"
	// EventAbort marks a scenario stopped by the abort rule.
	EventAbort = "abort"
	// EventLoadStep marks the start of a load stage. It is no action on the
	// stack, only the point reaction_time counts from.
	EventLoadStep = "load-step"
)
