package loadharness

import (
	"encoding/json"
	"fmt"
)

// Verdict is the outcome of a run.
type Verdict uint8

const (
	// VerdictPass means every gate held.
	VerdictPass Verdict = iota
	// VerdictFail means at least one gate failed.
	VerdictFail
	// VerdictInvalid means the generator could not hold the asked load (it
	// fell behind the rate, or ran out of CPU): the run proves nothing either
	// way, whatever the gates say.
	VerdictInvalid
)

// Exit codes of the loadtest command, one per way a run can end.
const (
	ExitPass        = 0
	ExitFail        = 1
	ExitHarness     = 2
	ExitInvalid     = 3
	ExitInterrupted = 130
)

// String returns "pass", "fail" or "invalid".
func (v Verdict) String() string {
	switch v {
	case VerdictPass:
		return "pass"
	case VerdictFail:
		return "fail"
	case VerdictInvalid:
		return "invalid"
	default:
		return fmt.Sprintf("verdict(%d)", uint8(v))
	}
}

// MarshalJSON writes the verdict as its name.
func (v Verdict) MarshalJSON() ([]byte, error) { return json.Marshal(v.String()) }

// UnmarshalJSON reads a verdict written by MarshalJSON.
func (v *Verdict) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	switch s {
	case "pass":
		*v = VerdictPass
	case "fail":
		*v = VerdictFail
	case "invalid":
		*v = VerdictInvalid
	default:
		return fmt.Errorf("unknown verdict %q", s)
	}
	return nil
}
