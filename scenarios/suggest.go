package scenarios

import "fmt"

// didYouMean returns ` (did you mean "x"?)` when one of known is a likely
// typo of got, and "" otherwise.
func didYouMean(got string, known []string) string {
	// Short words allow one slip, longer ones two; more would suggest
	// unrelated names ("base" → "name").
	limit := 2
	if len(got) > 4 {
		limit = 3
	}
	best, bestDist := "", limit
	for _, k := range known {
		if d := editDistance(got, k); d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// editDistance is the Levenshtein distance between a and b, in bytes. Field
// names are short ASCII, so two rows of ints are plenty.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		// Long words are never typos of field names; skip the quadratic work.
		return 1 << 20
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
