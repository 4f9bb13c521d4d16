package scenarios

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestJudge(t *testing.T) {
	constant := constantSchedule(200)
	procs := float64(runtime.GOMAXPROCS(0))
	tests := []struct {
		name        string
		out         Outcome
		sched       *schedule
		check       bool
		wantBound   bool
		wantReason  string
		wantWarning string
		wantAsked   float64
	}{
		{"kept up", Outcome{Sent: 2000}, &constant, true, false, "", "", 200},
		{"fell behind", Outcome{Sent: 1421}, &constant, true, true, "generator fell behind: sent 142.1/s of 200/s asked", "", 200},
		{"target could not absorb", Outcome{Sent: 1421, PoolSaturated: 4 * time.Second}, &constant, true, false, "",
			"the target could not absorb 200/s with 100 users: every user was busy for 4s of 10s, so 142.1/s was sent", 200},
		{"busy pool, but the target took little of the users' time", Outcome{Sent: 1421, PoolSaturated: 4 * time.Second,
			UsersHeld: 400 * time.Second, TargetTime: 20 * time.Second}, &constant, true, true,
			"generator fell behind: sent 142.1/s of 200/s asked; the target took 5% of the time users were held (20s of 6m40s)", "", 200},
		{"busy pool, held by the target", Outcome{Sent: 1421, PoolSaturated: 4 * time.Second,
			UsersHeld: 400 * time.Second, TargetTime: 390 * time.Second}, &constant, true, false, "",
			"the target could not absorb 200/s", 200},
		{"generator lag with free users", Outcome{Sent: 2000, LagSamples: 2000, GeneratorLagP50: time.Millisecond, GeneratorLagP99: 268 * time.Millisecond},
			&constant, true, true, "generator lag p99 ≤ 268ms (p50 ≤ 1ms) over 2000 hits", "", 200},
		{"small lag", Outcome{Sent: 2000, LagSamples: 2000, GeneratorLagP99: 2 * time.Millisecond}, &constant, true, false, "", "", 200},
		{"interrupted", Outcome{Sent: 10}, &constant, false, false, "", "", 200},
		{"closed model", Outcome{Sent: 500}, nil, true, false, "", "", 0},
		{"cpu-bound", Outcome{Sent: 500, GeneratorCores: procs}, nil, true, true, "generator was CPU-bound", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.out
			o.judge(100, 10*time.Second, tt.sched, tt.check)
			if o.GeneratorBound != tt.wantBound {
				t.Errorf("GeneratorBound = %v, want %v (reasons %v)", o.GeneratorBound, tt.wantBound, o.Reasons)
			}
			if got := strings.Join(o.Reasons, "; "); !strings.Contains(got, tt.wantReason) || (tt.wantReason == "") != (got == "") {
				t.Errorf("reasons %q, want %q", got, tt.wantReason)
			}
			if got := strings.Join(o.Warnings, "; "); !strings.Contains(got, tt.wantWarning) || (tt.wantWarning == "") != (got == "") {
				t.Errorf("warnings %q, want %q", got, tt.wantWarning)
			}
			if o.AskedRPS != tt.wantAsked && !within(o.AskedRPS, tt.wantAsked, 1e-6) {
				t.Errorf("asked %v/s, want %v/s", o.AskedRPS, tt.wantAsked)
			}
			if got, want := o.SentRPS, float64(tt.out.Sent)/10; got != want {
				t.Errorf("sent %v/s, want %v/s", got, want)
			}
		})
	}
}
