package loadharness

import "fmt"

// Phase names the part of a scenario a result belongs to. Gates and
// headline figures judge the main phase unless a gate names another:
// setup and warm-up requests are not the load the user asked to judge.
type Phase uint8

const (
	// PhaseMain is the measured load; the zero Phase, so results built
	// without one are main-phase results.
	PhaseMain Phase = iota
	// PhaseSetup is each user's setup steps (login, first upload), once.
	PhaseSetup
	// PhaseWarmup is load sent before measuring.
	PhaseWarmup
)

// String returns "main", "setup" or "warmup", as written in gates and raw
// result files.
func (p Phase) String() string {
	switch p {
	case PhaseMain:
		return "main"
	case PhaseSetup:
		return "setup"
	case PhaseWarmup:
		return "warmup"
	default:
		return fmt.Sprintf("phase(%d)", uint8(p))
	}
}

// Phases lists every phase, main first.
var Phases = []Phase{PhaseMain, PhaseSetup, PhaseWarmup}

// ParsePhase reads a phase written by Phase.String.
func ParsePhase(s string) (Phase, bool) {
	for _, p := range Phases {
		if p.String() == s {
			return p, true
		}
	}
	return PhaseMain, false
}
