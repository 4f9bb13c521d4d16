package suite

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// safetySuite is a minimal suite with extra root fields and one scenario.
func safetySuite(root, scenario string) string {
	if !strings.Contains(scenario, "duration:") {
		scenario += "    duration: 5s\n"
	}
	return "name: s\n" + root + `scenarios:
  - name: a
    steps:
      - {name: h, path: /healthz}
` + scenario
}

func TestParseAbortAndLimits(t *testing.T) {
	tests := []struct {
		name       string
		root, sc   string
		wantAbort  AbortRule
		wantLimits Limits
	}{
		{"defaults", "", "    users: 1\n", DefaultAbortRule, DefaultLimits},
		{"abort off", "abort: off\n", "    users: 1\n", AbortRule{Off: true}, DefaultLimits},
		{"abort rule", "abort: {error_rate: 20%, for: 5s}\n", "    users: 1\n", AbortRule{ErrorRate: 0.2, For: 5 * time.Second}, DefaultLimits},
		{"abort partial keeps default window", "abort: {error_rate: 90%}\n", "    users: 1\n", AbortRule{ErrorRate: 0.9, For: DefaultAbortFor}, DefaultLimits},
		{
			"limits raised on purpose",
			"limits: {max_rate: 5000/s, max_users: 3000, max_duration: 30m}\n",
			"    users: 3000\n    rate: 4000/s\n    duration: 20m\n",
			DefaultAbortRule, Limits{MaxRate: 5000, MaxUsers: 3000, MaxDuration: 30 * time.Minute},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("s.yaml", []byte(safetySuite(tt.root, tt.sc)))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := s.Abort, tt.wantAbort; got != want {
				t.Errorf("abort %+v, want %+v", got, want)
			}
			if got, want := s.Limits, tt.wantLimits; got != want {
				t.Errorf("limits %+v, want %+v", got, want)
			}
		})
	}
}

func TestParseSafetyProblems(t *testing.T) {
	tests := []struct {
		name     string
		root, sc string
		want     string // file:line:column: message fragment
	}{
		{"users over the cap", "", "    users: 1001\n", "s.yaml:3:5: scenario \"a\": users 1001 is above the limit of 1000: raise limits.max_users"},
		{"rate over the cap", "", "    users: 10\n    rate: 2500/s\n", "s.yaml:3:5: scenario \"a\": rate 2500/s is above the limit of 2000/s: raise limits.max_rate"},
		{"ramp peak over the cap", "", "    users: 10\n    ramp: {from: 10/s, to: 3000/s}\n    duration: 10s\n", "s.yaml:3:5: scenario \"a\": rate 3000/s is above the limit"},
		{"duration over the cap", "", "    users: 1\n    warmup: 1m\n    duration: 10m\n", "s.yaml:3:5: scenario \"a\": warm-up plus duration 11m0s is above the limit of 10m: raise limits.max_duration"},
		{"raised cap still binds", "limits: {max_users: 1500}\n", "    users: 2000\n", "s.yaml:4:5: scenario \"a\": users 2000 is above the limit of 1500"},
		{"abort word", "abort: sometimes\n", "    users: 1\n", "s.yaml:2:8: abort must be off or a mapping"},
		{"abort rate without percent", "abort: {error_rate: 50}\n", "    users: 1\n", "s.yaml:2:21: error_rate must be a percentage"},
		{"abort rate over 100", "abort: {error_rate: 150%}\n", "    users: 1\n", "s.yaml:2:21: error_rate must be a percentage"},
		{"abort window too short", "abort: {for: 10ms}\n", "    users: 1\n", "s.yaml:2:14: for must be 1s..1h"},
		{"unknown limit", "limits: {max_qps: 10}\n", "    users: 1\n", "s.yaml:2:10: "},
		{"bad max_users", "limits: {max_users: lots}\n", "    users: 1\n", "s.yaml:2:21: max_users must be a whole number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(safetySuite(tt.root, tt.sc)))
			var se *SuiteError
			if !errors.As(err, &se) {
				t.Fatalf("err %v, want a *SuiteError", err)
			}
			if got := err.Error(); !strings.Contains(got, tt.want) {
				t.Errorf("error:\n%s\nwant it to contain:\n%s", got, tt.want)
			}
		})
	}
}

func TestAbortRuleString(t *testing.T) {
	tests := []struct {
		name string
		rule AbortRule
		want string
	}{
		{"default", DefaultAbortRule, "error rate > 50% for 10s"},
		{"off", AbortRule{Off: true}, "off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.rule.String(), tt.want; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}
