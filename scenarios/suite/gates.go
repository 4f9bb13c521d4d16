package suite

import (
	"errors"

	"loadharness"
)

// GateSpec is a gate as written in a suite file: its text, where it was
// written, so that the harness can point at it, and what it means.
type GateSpec struct {
	Text string
	Pos  Pos
	Gate loadharness.Gate
}

// parseGate parses one gate's text; on failure it returns the 1-based
// column within the text and a message.
func parseGate(text string) (g loadharness.Gate, col int, msg string, ok bool) {
	g, err := loadharness.ParseGate(text)
	if err == nil {
		return g, 0, "", true
	}
	var ge *loadharness.GateError
	if errors.As(err, &ge) {
		return g, ge.Column, ge.Msg, false
	}
	return g, 1, err.Error(), false
}
