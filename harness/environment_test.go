package harness

import (
	"testing"

	"loadharness/scenarios"
)

func TestServiceVersion(t *testing.T) {
	tests := []struct {
		name     string
		given    string
		outcomes map[string]scenarios.Outcome
		want     string
	}{
		{"nothing known", "", nil, ""},
		{"given only", "2.14.0", map[string]scenarios.Outcome{"a": {}}, "2.14.0"},
		{"one version answered", "", map[string]scenarios.Outcome{"a": {ServiceVersions: map[string]uint64{"2.14.0": 10}}}, "2.14.0"},
		{"a rolling deploy across scenarios", "", map[string]scenarios.Outcome{
			"a": {ServiceVersions: map[string]uint64{"2.13.0": 30, "2.14.0": 10}},
			"b": {ServiceVersions: map[string]uint64{"2.14.0": 60}},
		}, "2.13.0 (30.0% of answers), 2.14.0 (70.0% of answers)"},
		{"given and answered", "2.14.0", map[string]scenarios.Outcome{"a": {ServiceVersions: map[string]uint64{"2.13.9": 5}}}, "2.14.0; the answers named 2.13.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := serviceVersion(tt.given, tt.outcomes); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
