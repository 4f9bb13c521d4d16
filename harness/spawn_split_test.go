package harness

import (
	"slices"
	"testing"

	"loadharness/scenarios/suite"
)

func TestSplitUsersAndScaleLoad(t *testing.T) {
	tests := []struct {
		users, batch int
		want         []int
	}{
		{64, 16, []int{16, 16, 16, 16}},
		{50, 16, []int{16, 16, 16, 2}},
		{5, 16, []int{5}},
		{3, 0, []int{1, 1, 1}},
	}
	for _, tt := range tests {
		if got := splitUsers(tt.users, tt.batch); !slices.Equal(got, tt.want) {
			t.Errorf("splitUsers(%d, %d) = %v, want %v", tt.users, tt.batch, got, tt.want)
		}
	}
	m := scaleLoad(suite.LoadModel{Kind: suite.Ramp, From: 100, To: 300}, 0.25)
	if m.From != 25 || m.To != 75 {
		t.Errorf("scaled ramp = %s, want 25/s→75/s", m)
	}
}
