package prefork

import (
	"fmt"
	"strings"
	"time"
)

// Status is a snapshot of the supervisor's worker slots.
type Status struct {
	Slots []SlotStatus
}

// SlotStatus is one worker slot: the process that holds it now, or held it
// last, and how often it was restarted.
type SlotStatus struct {
	// ID is the slot, 1..N, as the worker sees it in Worker.ID.
	ID int
	// PID is the current or last process of the slot.
	PID int
	// Running is false between a death and the restart, and after shutdown.
	Running bool
	// Restarts counts the processes started in this slot after the first.
	Restarts int
	// Started is when the current or last process was started.
	Started time.Time
	// LastExit describes how the previous process ended ("" if none did).
	LastExit string
}

// Restarts is the total number of restarts over all slots.
func (s Status) Restarts() int {
	n := 0
	for _, sl := range s.Slots {
		n += sl.Restarts
	}
	return n
}

// String formats the status on one line for a log.
func (s Status) String() string {
	var b strings.Builder
	for i, sl := range s.Slots {
		if i > 0 {
			b.WriteString("; ")
		}
		state := "up"
		if !sl.Running {
			state = "down"
		}
		fmt.Fprintf(&b, "worker %d pid %d %s restarts %d", sl.ID, sl.PID, state, sl.Restarts)
	}
	return b.String()
}
