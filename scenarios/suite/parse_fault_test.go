package suite

import (
	"errors"
	"loadharness"
	"strings"
	"testing"
	"time"
)

// faultSuite is a suite whose one scenario (10s) has the given actions.
func faultSuite(actions string) string {
	return `name: s
scenarios:
  - name: a
    users: 1
    duration: 10s
    steps:
      - {name: h, path: /healthz}
    actions:
` + actions
}

func TestParseFaultActions(t *testing.T) {
	tests := []struct {
		name    string
		actions string
		want    []Action
	}{
		{
			"latency is switched on and off",
			"      - {at: 2s, do: fault, fault: latency, latency: 200ms, jitter: 50ms, for: 5s}\n",
			[]Action{
				{At: 2 * time.Second, Do: loadharness.ActionFault, Fault: &Fault{Kind: FaultLatency, Latency: 200 * time.Millisecond, Jitter: 50 * time.Millisecond, For: 5 * time.Second}},
				{At: 7 * time.Second, Do: loadharness.ActionFault, Fault: &Fault{Kind: FaultLatency, Latency: 200 * time.Millisecond, Jitter: 50 * time.Millisecond, For: 5 * time.Second, Off: true}},
			},
		},
		{
			"faults interleave by time",
			"      - {at: 1s, do: fault, fault: down, for: 5s}\n      - {at: 2s, do: fault, fault: bandwidth, kbps: 8, for: 1s}\n",
			[]Action{
				{At: 1 * time.Second, Do: loadharness.ActionFault, Fault: &Fault{Kind: FaultDown, For: 5 * time.Second}},
				{At: 2 * time.Second, Do: loadharness.ActionFault, Fault: &Fault{Kind: FaultBandwidth, KBps: 8, For: time.Second}},
				{At: 3 * time.Second, Do: loadharness.ActionFault, Fault: &Fault{Kind: FaultBandwidth, KBps: 8, For: time.Second, Off: true}},
				{At: 6 * time.Second, Do: loadharness.ActionFault, Fault: &Fault{Kind: FaultDown, For: 5 * time.Second, Off: true}},
			},
		},
		{
			"reset_peer and timeout take a timeout",
			"      - {at: 1s, do: fault, fault: reset_peer, timeout: 100ms, for: 1s}\n      - {at: 5s, do: fault, fault: timeout, for: 2s}\n",
			[]Action{
				{At: 1 * time.Second, Do: loadharness.ActionFault, Fault: &Fault{Kind: FaultResetPeer, Timeout: 100 * time.Millisecond, For: time.Second}},
				{At: 2 * time.Second, Do: loadharness.ActionFault, Fault: &Fault{Kind: FaultResetPeer, Timeout: 100 * time.Millisecond, For: time.Second, Off: true}},
				{At: 5 * time.Second, Do: loadharness.ActionFault, Fault: &Fault{Kind: FaultTimeout, For: 2 * time.Second}},
				{At: 7 * time.Second, Do: loadharness.ActionFault, Fault: &Fault{Kind: FaultTimeout, For: 2 * time.Second, Off: true}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("s.yaml", []byte(faultSuite(tt.actions)))
			if err != nil {
				t.Fatal(err)
			}
			got := s.Scenarios[0].Actions
			if len(got) != len(tt.want) {
				t.Fatalf("%d actions, want %d: %+v", len(got), len(tt.want), got)
			}
			for i := range got {
				if got[i].At != tt.want[i].At || got[i].Do != tt.want[i].Do || got[i].Fault == nil || *got[i].Fault != *tt.want[i].Fault {
					t.Errorf("action %d = %+v %+v, want %+v %+v", i, got[i], got[i].Fault, tt.want[i], tt.want[i].Fault)
				}
			}
		})
	}
}

func TestParseFaultProblems(t *testing.T) {
	tests := []struct {
		name    string
		actions string
		want    string
	}{
		{"unknown kind", "      - {at: 1s, do: fault, fault: lag, for: 1s}\n", "s.yaml:9:36: fault must be one of latency, bandwidth, reset_peer, timeout, down"},
		{"no kind", "      - {at: 1s, do: fault, for: 1s}\n", "s.yaml:9:9: do: fault needs fault"},
		{"no for", "      - {at: 1s, do: fault, fault: down}\n", "s.yaml:9:9: fault down needs for"},
		{"latency without latency", "      - {at: 1s, do: fault, fault: latency, for: 1s}\n", "s.yaml:9:9: fault latency needs latency"},
		{"bandwidth without kbps", "      - {at: 1s, do: fault, fault: bandwidth, for: 1s}\n", "s.yaml:9:9: fault bandwidth needs kbps"},
		{"setting of another kind", "      - {at: 1s, do: fault, fault: down, latency: 5ms, for: 1s}\n", "s.yaml:9:51: fault down does not take latency"},
		{"jitter above latency", "      - {at: 1s, do: fault, fault: latency, latency: 5ms, jitter: 9ms, for: 1s}\n", "jitter 9ms must not exceed latency 5ms"},
		{"ends after the scenario", "      - {at: 8s, do: fault, fault: down, for: 5s}\n", "the fault would end at 13s, after the scenario's duration 10s"},
		{"fault settings on another action", "      - {at: 1s, do: restart-redis, fault: down}\n", "restart-redis takes no fault settings"},
		{"bad kbps", "      - {at: 1s, do: fault, fault: bandwidth, kbps: 0, for: 1s}\n", "kbps must be 1.."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(faultSuite(tt.actions)))
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

func TestFaultString(t *testing.T) {
	tests := []struct {
		name  string
		fault Fault
		want  string
	}{
		{"latency", Fault{Kind: FaultLatency, Latency: 200 * time.Millisecond, Jitter: 50 * time.Millisecond}, "latency 200ms ±50ms"},
		{"bandwidth off", Fault{Kind: FaultBandwidth, KBps: 16, Off: true}, "bandwidth 16KB/s off"},
		{"reset after", Fault{Kind: FaultResetPeer, Timeout: time.Second}, "reset_peer after 1s"},
		{"down", Fault{Kind: FaultDown}, "down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.fault.String(), tt.want; got != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// FuzzParseSafetyAndFaults feeds the parser suites built around the abort,
// limits and fault syntax: it must answer with a suite or problems, never
// panic, and a parsed fault always comes with its end.
func FuzzParseSafetyAndFaults(f *testing.F) {
	f.Add("abort: {error_rate: 50%, for: 10s}\n", "      - {at: 1s, do: fault, fault: latency, latency: 200ms, jitter: 50ms, for: 5s}\n")
	f.Add("abort: off\nlimits: {max_rate: 5000/s, max_users: 2000, max_duration: 30m}\n", "      - {at: 1s, do: fault, fault: down, for: 5s}\n")
	f.Add("limits: {max_users: 0}\n", "      - {at: 1s, do: fault, fault: bandwidth, kbps: 1, for: 1s}\n")
	f.Add("abort: {error_rate: 1e400%}\n", "      - {at: 9s, do: fault, fault: reset_peer, timeout: -1s, for: 9s}\n")
	f.Add("abort: [1]\n", "      - {at: 1s, do: kill-instance, instance: 1, fault: timeout}\n")
	f.Fuzz(func(t *testing.T, root, actions string) {
		s, err := Parse("f.yaml", []byte("name: s\n"+root+faultSuite(actions)[len("name: s\n"):]))
		if err != nil {
			return
		}
		on, off := 0, 0
		for _, sc := range s.Scenarios {
			for _, a := range sc.Actions {
				if a.Do != loadharness.ActionFault {
					continue
				}
				if a.Fault == nil {
					t.Fatalf("fault action without a fault: %+v", a)
				}
				if a.Fault.Off {
					off++
				} else {
					on++
				}
			}
		}
		if on != off {
			t.Fatalf("%d faults on, %d off", on, off)
		}
	})
}
