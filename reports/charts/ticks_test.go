package charts

import "testing"

// TestTickLabelsAreShort: a tick's label is the number as a person writes
// it; float64 arithmetic must not show (0.6000000000000001 was seen on a
// report's axis).
func TestTickLabelsAreShort(t *testing.T) {
	tests := []struct {
		lo, hi float64
		labels int
	}{
		{0, 1.2, 5}, {0, 0.7, 5}, {0, 3.3, 10}, {-0.9, 0.9, 5}, {0, 0.007, 5}, {100, 2300, 10},
	}
	for _, tt := range tests {
		ticks := niceTicks{labels: tt.labels}.Ticks(tt.lo, tt.hi)
		labelled := 0
		for _, tick := range ticks {
			if len(tick.Label) > 6 {
				t.Errorf("ticks over [%g, %g]: label %q", tt.lo, tt.hi, tick.Label)
			}
			if tick.Label != "" {
				labelled++
			}
		}
		if labelled < 2 {
			t.Errorf("ticks over [%g, %g]: %d labels", tt.lo, tt.hi, labelled)
		}
	}
}
