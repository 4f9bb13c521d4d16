package charts

import (
	"testing"

	"loadharness/reports/internal/fixture"
)

// TestAtMostFiveSeriesPerChart counts each chart's data lines (legend
// entries that are neither gates, events nor shades): more than five cannot
// be told apart by colour.
func TestAtMostFiveSeriesPerChart(t *testing.T) {
	cs, err := For(fixture.Input(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range cs {
		lines := 0
		for _, item := range ch.fig.legend {
			if item.fill == nil && item.line.Dashes == nil && item.label != "event" {
				lines++
			}
		}
		if lines > maxSeriesPerPanel {
			t.Errorf("%s: %d series, want at most %d", ch.Name, lines, maxSeriesPerPanel)
		}
	}
}
