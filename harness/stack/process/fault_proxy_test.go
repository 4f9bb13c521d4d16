package process

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"loadharness/scenarios/suite"
)

// A toxic whose removal fails must not be believed off: the removal is
// tried again, and what stays on is said by Clear, checked on the proxy.
func TestToxicRemovalRetriesAndAFailureStaysOn(t *testing.T) {
	latency := suite.Fault{Kind: suite.FaultLatency, Latency: 50 * time.Millisecond}
	tests := []struct {
		name     string
		failures int // removals that fail before one succeeds
		wantOff  bool
	}{
		{name: "first try", failures: 0, wantOff: true},
		{name: "after two failures", failures: 2, wantOff: true},
		{name: "never", failures: 1000, wantOff: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := startRedisFaults("127.0.0.1:1")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			real, calls := r.remove, 0
			r.remove = func(ctx context.Context, name string) error {
				calls++
				if calls <= tt.failures {
					return errors.New("injected failure")
				}
				return real(ctx, name)
			}
			ctx := context.Background()
			if err := r.Set(ctx, latency); err != nil {
				t.Fatal(err)
			}
			off := latency
			off.Off = true
			err = r.Set(ctx, off)
			if gone := r.proxy.Toxics.GetToxic("fault-latency") == nil; gone != tt.wantOff || (err == nil) != tt.wantOff {
				t.Fatalf("after Set off: toxic gone %v, err %v; want gone %v", gone, err, tt.wantOff)
			}
			if !tt.wantOff && calls != removeAttempts {
				t.Errorf("%d removal attempts, want %d", calls, removeAttempts)
			}
			kinds, err := r.Clear(ctx)
			if tt.wantOff {
				if err != nil || len(kinds) != 0 {
					t.Errorf("Clear after a removal: kinds %v, err %v; want nothing to do", kinds, err)
				}
				return
			}
			if len(kinds) != 1 || kinds[0] != suite.FaultLatency {
				t.Errorf("Clear tried %v, want the latency fault still marked on", kinds)
			}
			if err == nil || !strings.Contains(err.Error(), "still on after clearing [latency]") {
				t.Errorf("Clear error %v, want it to say the latency toxic is still on", err)
			}
		})
	}
}
