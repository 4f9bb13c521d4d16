package suite

import (
	"fmt"

	"loadharness/internal/suggest"
)

// didYouMean returns ` (did you mean "x"?)` when one of known is a likely
// typo of got, and "" otherwise.
func didYouMean(got string, known []string) string {
	// Short words allow one slip, longer ones two; more would suggest
	// unrelated names ("base" → "name").
	maxEdits := 1
	if len(got) > 4 {
		maxEdits = 2
	}
	best, ok := suggest.Closest(got, known, maxEdits)
	if !ok {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}
