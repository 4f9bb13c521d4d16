package suite

import (
	"errors"
	"loadharness"
	"strings"
	"testing"
	"time"
)

func TestParseAutoscale(t *testing.T) {
	const head = "name: s\nstack: {instances: 2}\nscenarios:\n  - name: a\n    users: 5\n    duration: 10s\n    steps: [map]\n"
	tests := []struct {
		name string
		src  string
		want Autoscale
	}{
		{"p95 with every field", head + "    autoscale: {signal: p95, above: 500ms, below: 100ms, for: 3s, scale_in_for: 10s, cooldown: 5s, min_instances: 1, max_instances: 4}\n",
			Autoscale{Signal: SignalP95, Above: 500, Below: 100, For: 3 * time.Second, ScaleInFor: 10 * time.Second,
				Cooldown: 5 * time.Second, MinInstances: 1, MaxInstances: 4}},
		{"the seed's windows by default", head + "    autoscale: {signal: cpu, above: 60%, below: 30%, max_instances: 3}\n",
			Autoscale{Signal: SignalCPU, Above: 0.6, Below: 0.3, For: DefaultScaleOutFor, ScaleInFor: DefaultScaleInFor,
				Cooldown: DefaultCooldown, MinInstances: 2, MaxInstances: 3}},
		{"cpu in cores, no scale-in", head + "    autoscale: {signal: cpu, above: 1.5, max_instances: 2}\n",
			Autoscale{Signal: SignalCPU, Above: 1.5, For: DefaultScaleOutFor, ScaleInFor: DefaultScaleInFor,
				Cooldown: DefaultCooldown, MinInstances: 2, MaxInstances: 2}},
		{"queue depth", head + "    autoscale: {signal: queue_depth, above: 20, below: 0.5, for: 2s, cooldown: 0s, max_instances: 8}\n",
			Autoscale{Signal: SignalQueueDepth, Above: 20, Below: 0.5, For: 2 * time.Second, ScaleInFor: DefaultScaleInFor,
				MinInstances: 2, MaxInstances: 8}},
		{"the seed's CPU policy in PromQL", head + "    autoscale:\n      signal: promql\n      query: avg(rate(process_cpu_seconds_total{job=\"target\"}[30s]))\n      above: 60%\n      below: 0.3\n      max_instances: 3\n",
			Autoscale{Signal: SignalPromQL, Query: `avg(rate(process_cpu_seconds_total{job="target"}[30s]))`, Above: 0.6, Below: 0.3,
				For: DefaultScaleOutFor, ScaleInFor: DefaultScaleInFor, Cooldown: DefaultCooldown, MinInstances: 2, MaxInstances: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse("t.yaml", []byte(tt.src))
			if err != nil {
				t.Fatal(err)
			}
			got := s.Scenarios[0].Autoscale
			if got == nil {
				t.Fatal("no policy")
			}
			got.Pos, got.QueryPos = Pos{}, Pos{}
			if *got != tt.want {
				t.Errorf("policy = %+v\nwant     %+v", *got, tt.want)
			}
		})
	}
}

func TestParseRecoveryAndReplace(t *testing.T) {
	src := "name: s\nstack: {instances: 3}\nscenarios:\n  - name: a\n    users: 5\n    duration: 20s\n    steps: [map]\n" +
		"    recovery: {p95: 300ms, for: 4s}\n" +
		"    actions:\n      - {at: 2s, do: replace-instance, instance: 1}\n      - {at: 8s, do: replace-instance, instance: 4}\n"
	s, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	sc := s.Scenarios[0]
	if got, want := sc.Recovery, (Recovery{P95: 300 * time.Millisecond, For: 4 * time.Second}); got != want {
		t.Errorf("recovery = %+v, want %+v", got, want)
	}
	if got, want := len(sc.Actions), 2; got != want {
		t.Fatalf("actions = %d, want %d", got, want)
	}
	// Instance 4 is the first replacement: replacing starts a new instance.
	if got, want := sc.Actions[1], (Action{At: 8 * time.Second, Do: loadharness.ActionReplaceInstance, Instance: 4}); got != want {
		t.Errorf("action = %+v, want %+v", got, want)
	}
	if sc.Autoscale != nil {
		t.Errorf("autoscale = %+v, want none", sc.Autoscale)
	}
}

func TestParseAutoscaleProblems(t *testing.T) {
	const head = "name: s\nstack: {instances: 2}\nscenarios:\n  - name: a\n    users: 5\n    duration: 10s\n    steps: [map]\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"missing fields", head + "    autoscale: {for: 3s}\n", []string{
			`t.yaml:8:16: autoscale needs signal`,
			`t.yaml:8:16: autoscale needs above`,
			`t.yaml:8:16: autoscale needs max_instances`,
		}},
		{"bad signal and thresholds", head + "    autoscale: {signal: p59, above: 500ms, max_instances: 3}\n", []string{
			`t.yaml:8:25: signal must be one of p95, queue_depth, cpu, promql, not "p59"`,
		}},
		{"thresholds in the wrong unit", head + "    autoscale: {signal: p95, above: 500, below: fast, max_instances: 3}\n", []string{
			`t.yaml:8:37: above needs a unit, for example 500s`,
			`t.yaml:8:49: below must be a duration like 20s or 1m30s, not "fast"`,
		}},
		{"cpu and queue bounds", head + "    autoscale: {signal: cpu, above: 7000%, max_instances: 3}\n  - name: b\n    users: 5\n    duration: 10s\n    steps: [map]\n    autoscale: {signal: queue_depth, above: -1, max_instances: 3}\n", []string{
			`t.yaml:8:37: above for cpu must be a share of one core such as 60% (or 0.6), above 0 and at most 64 cores, not "7000%"`,
			`t.yaml:13:45: above for queue_depth must be a number of waiting requests above 0, not "-1"`,
		}},
		{"promql without its query, a query without promql, a threshold that is no number", head +
			"    autoscale: {signal: promql, above: 1, max_instances: 3}\n  - name: b\n    users: 5\n    duration: 10s\n    steps: [map]\n" +
			"    autoscale: {signal: cpu, query: up, above: 1, max_instances: 3}\n  - name: c\n    users: 5\n    duration: 10s\n    steps: [map]\n" +
			"    autoscale: {signal: promql, query: up, above: lots, max_instances: 3}\n", []string{
			`t.yaml:8:16: signal promql needs query: the PromQL expression to watch, such as avg(rate(process_cpu_seconds_total{job="target"}[30s]))`,
			`t.yaml:13:37: query goes with signal: promql, not cpu`,
			`t.yaml:18:51: above for promql must be a number in the query's unit (or a percentage), not "lots"`,
		}},
		{"below not under above", head + "    autoscale: {signal: p95, above: 500ms, below: 500ms, max_instances: 3}\n", []string{
			`t.yaml:8:51: below (500ms) must be less than above (500ms)`,
		}},
		{"windows and bounds", head + "    autoscale: {signal: p95, above: 1s, for: 100ms, scale_in_for: 5s, min_instances: 3, max_instances: 1}\n", []string{
			`t.yaml:8:46: for must be 1s..24h, not 100ms`,
			`t.yaml:8:67: scale_in_for needs below (the threshold to scale in under)`,
			`t.yaml:8:86: min_instances 3 is more than the stack's 2 instances it starts with`,
			`t.yaml:8:104: max_instances 1 is less than the stack's 2 instances it starts with`,
		}},
		{"recovery", head + "    recovery: {p95: 1, for: 100ms, p99: 1s}\n", []string{
			`t.yaml:8:21: p95 needs a unit, for example 1s`,
			`t.yaml:8:29: for must be 1s..1h, not 100ms`,
			`t.yaml:8:36: unknown field "p99" in recovery (did you mean "p95"?)`,
		}},
		{"replace needs an instance that exists", head + "    actions: [{at: 1s, do: replace-instance}, {at: 2s, do: replace-instance, instance: 5}]\n", []string{
			`t.yaml:8:15: replace-instance needs instance (1..4)`,
			`t.yaml:8:88: instance 5 does not exist: the stack has 2 instances and adds 2`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.src))
			var se *SuiteError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SuiteError", err)
			}
			if got, want := se.Error(), strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestAutoscaleString(t *testing.T) {
	a := Autoscale{Signal: SignalP95, Above: 500, Below: 100, For: 3 * time.Second, ScaleInFor: 5 * time.Second,
		Cooldown: 5 * time.Second, MinInstances: 1, MaxInstances: 3}
	if got, want := a.String(), "p95 > 500ms for 3s: add (up to 3); < 100ms for 5s: remove (down to 1); cooldown 5s"; got != want {
		t.Errorf("String() = %q\nwant       %q", got, want)
	}
	cpu := Autoscale{Signal: SignalCPU, Above: 0.6, For: 2 * time.Minute, Cooldown: 5 * time.Minute, MaxInstances: 4}
	if got, want := cpu.String(), "cpu > 60% CPU for 2m0s: add (up to 4); cooldown 5m0s"; got != want {
		t.Errorf("String() = %q\nwant       %q", got, want)
	}
	if got, want := SignalQueueDepth.Format(12), "12 requests"; got != want {
		t.Errorf("Format = %q, want %q", got, want)
	}
}

func TestEventSuites(t *testing.T) {
	load := func(name string) *Scenario {
		t.Helper()
		s, err := Load(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(s.Scenarios) != 1 {
			t.Fatalf("%s: %d scenarios, want 1", name, len(s.Scenarios))
		}
		if s.Stack.SessionStore != "redis" || s.Stack.DatasetStore != "redis" {
			t.Errorf("%s: stack %+v, want sessions and data sets in Redis", name, s.Stack)
		}
		return s.Scenarios[0]
	}
	gates := func(sc *Scenario) string {
		var texts []string
		for _, g := range sc.Gates {
			texts = append(texts, g.Gate.Metric.Name)
		}
		return strings.Join(texts, ",")
	}

	failover := load("failover")
	if failover.Users != 100 || len(failover.Actions) != 1 || failover.Actions[0].Do != loadharness.ActionKillInstance {
		t.Errorf("failover: %d users, actions %+v; want 100 users and one kill", failover.Users, failover.Actions)
	}
	for _, want := range []string{"sessions_lost", "excess_errors", "recovery_time"} {
		if !strings.Contains(gates(failover), want) {
			t.Errorf("failover gates %s lack %s", gates(failover), want)
		}
	}

	scale := load("scale-out")
	if scale.Autoscale == nil || scale.Load.Kind != Staged || scale.Duration > time.Minute {
		t.Errorf("scale-out: policy %v, load %s, %s; want a policy and at most a minute of staged load", scale.Autoscale, scale.Load, scale.Duration)
	}
	for _, want := range []string{"reaction_time", "recovery_time", "scale_errors", "flaps"} {
		if !strings.Contains(gates(scale), want) {
			t.Errorf("scale-out gates %s lack %s", gates(scale), want)
		}
	}

	rolling := load("rolling-restart")
	replaced := map[int]bool{}
	for _, a := range rolling.Actions {
		if a.Do == loadharness.ActionReplaceInstance {
			replaced[a.Instance] = true
		}
	}
	if len(replaced) != 3 {
		t.Errorf("rolling-restart replaces instances %v, want each of 3", replaced)
	}
	if got, want := gates(rolling), "setup_failed,errors,sessions_lost,p95"; got != want {
		t.Errorf("rolling-restart gates %s, want %s", got, want)
	}
}
