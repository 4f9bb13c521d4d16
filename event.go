package loadharness

import "time"

// Event is something the harness did at a known time during a run: an
// instance killed or added, Redis restarted, a fault switched on or off.
// Reports draw every event on every time chart.
type Event struct {
	// At is when the action took effect.
	At time.Time `json:"at"`
	// Kind is a short machine name, for example "kill", "add-instance".
	Kind string `json:"kind"`
	// Target names what was acted on, for example "instance-2" or "redis".
	Target string `json:"target,omitempty"`
	// Detail is free text for people, for example the error of a failed action.
	Detail string `json:"detail,omitempty"`
}
