package scenarios

import (
	"testing"
	"time"
)

func TestLagHistogram(t *testing.T) {
	var h lagHistogram
	if got := h.quantile(0.99); got != 0 {
		t.Errorf("empty p99 = %s, want 0", got)
	}
	for range 98 {
		h.record(30 * time.Microsecond)
	}
	h.record(-time.Microsecond)
	h.record(80 * time.Millisecond)
	tests := []struct {
		q        float64
		min, max time.Duration
	}{
		{0.5, 30 * time.Microsecond, 60 * time.Microsecond},
		{0.98, 30 * time.Microsecond, 60 * time.Microsecond},
		{1, 80 * time.Millisecond, 160 * time.Millisecond},
	}
	for _, tt := range tests {
		if got := h.quantile(tt.q); got < tt.min || got > tt.max {
			t.Errorf("quantile(%v) = %s, want in [%s, %s]", tt.q, got, tt.min, tt.max)
		}
	}
	if got := h.count(); got != 100 {
		t.Errorf("count = %d, want 100", got)
	}
	h.reset()
	if got := h.count(); got != 0 {
		t.Errorf("count after reset = %d", got)
	}
}

func BenchmarkLagRecord(b *testing.B) {
	var h lagHistogram
	for b.Loop() {
		h.record(40 * time.Microsecond)
	}
}
