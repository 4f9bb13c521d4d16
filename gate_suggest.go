package loadharness

import (
	"sort"
	"strings"
)

// suggestionCandidates are the names a typo is compared with: every named
// metric and the quantiles people write most.
var suggestionCandidates = func() []string {
	names := []string{"p50", "p90", "p95", "p99", "p99.9", "p99.99", "raw_p95", "raw_p99"}
	for name := range namedMetrics {
		names = append(names, name)
	}
	sort.Strings(names) // ties resolve the same way on every run
	return names
}()

// suggestMetric returns the known metric closest to word, or "" when none is
// close enough to be a plausible typo.
func suggestMetric(word string) string {
	word = strings.ToLower(word)
	if len(word) > 40 {
		return ""
	}
	best, bestDist := "", 3 // at most two edits away
	for _, name := range suggestionCandidates {
		if d := editDistance(word, name); d < bestDist && d < len([]rune(name)) {
			best, bestDist = name, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
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
