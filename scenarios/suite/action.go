package suite

import (
	"cmp"
	"loadharness"
	"slices"
	"time"
)

// Action is something done to the stack at a time during a scenario, for
// example killing an instance to prove that sessions survive failover.
type Action struct {
	// At is when to act, from the start of the measured part of the scenario
	// (after warm-up).
	At time.Duration
	// Do is one of loadharness.ActionKinds.
	Do loadharness.ActionKind
	// Instance is the 1-based instance acted on by kill-, restart-,
	// replace- and remove-instance; 0 otherwise. Instances are numbered in
	// the order they were started: an added or replacing instance takes the
	// next number.
	Instance int
	// Fault is the fault of an ActionFault; nil otherwise.
	Fault *Fault
}

// sortActions orders actions by At, keeping the order of equal times.
func sortActions(list []Action) {
	slices.SortStableFunc(list, func(a, b Action) int { return cmp.Compare(a.At, b.At) })
}
