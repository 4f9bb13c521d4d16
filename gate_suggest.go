package loadharness

import (
	"sort"
	"strings"

	"loadharness/internal/suggest"
)

// suggestionCandidates are the names a typo is compared with: every named
// metric and the quantiles people write most.
var suggestionCandidates = func() []string {
	names := []string{"p50", "p90", "p95", "p99", "p99.9", "p99.99", "raw_p95", "raw_p99", promQLWord}
	for name := range namedMetrics {
		names = append(names, name)
	}
	sort.Strings(names) // ties resolve the same way on every run
	return names
}()

// suggestMetric returns the known metric closest to word, or "" when none is
// close enough to be a plausible typo: at most two edits away.
func suggestMetric(word string) string {
	best, _ := suggest.Closest(strings.ToLower(word), suggestionCandidates, 2)
	return best
}
