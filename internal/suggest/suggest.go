// Package suggest finds the name a mistyped word most likely meant, for the
// "did you mean" hints of the gate and suite parsers. It imports only the
// standard library.
package suggest

import "unicode/utf8"

// MaxLen bounds, in bytes, the words and candidates Closest compares: longer
// ones are never typos of a name, and skipping them keeps the quadratic
// distance cheap whatever a file holds.
const MaxLen = 64

// Closest returns the candidate fewest edits away from word, provided it is
// at most maxEdits edits away and fewer edits than its own length in runes
// (a candidate that shares nothing with word suggests nothing). Ties go to
// the earlier candidate, so callers that want the same answer on every run
// pass candidates in a fixed order. ok is false when no candidate qualifies.
func Closest(word string, candidates []string, maxEdits int) (best string, ok bool) {
	if len(word) > MaxLen {
		return "", false
	}
	bestDist := maxEdits + 1
	for _, c := range candidates {
		if len(c) > MaxLen {
			continue
		}
		if d := Distance(word, c); d < bestDist && d < utf8.RuneCountInString(c) {
			best, bestDist, ok = c, d, true
		}
	}
	return best, ok
}

// Distance is the Levenshtein distance between a and b: the fewest rune
// insertions, deletions and substitutions that turn a into b.
func Distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
