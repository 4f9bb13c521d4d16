//go:build !race

package reports_test

// raceEnabled says whether the race detector is on: timing budgets are
// checked only without it.
const raceEnabled = false
