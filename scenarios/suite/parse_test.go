package suite

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"loadharness"
)

func TestBuiltInSuitesParse(t *testing.T) {
	names := BuiltIn()
	if got, want := strings.Join(names, ","), "before,default,failover,redis-faults,rolling-restart,scale-out,smoke"; got != want {
		t.Fatalf("BuiltIn() = %s, want %s", got, want)
	}
	// The seed's plan and its comparisons: uploads, map views and a mix.
	// The event suites (failover, scale-out, rolling-restart) are tested in
	// TestEventSuites.
	for _, name := range []string{"before", "default", "smoke"} {
		t.Run(name, func(t *testing.T) {
			s, err := Load(name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != name {
				t.Errorf("name %q, want %q", s.Name, name)
			}
			if len(s.Scenarios) != 3 {
				t.Errorf("%d scenarios, want uploads, map-views and mixed", len(s.Scenarios))
			}
			for _, sc := range s.Scenarios {
				if len(sc.Gates) < 4 {
					t.Errorf("%s: %d gates, want the suite's four at least", sc.Name, len(sc.Gates))
				}
			}
		})
	}
}

func TestDefaultSuiteIsTheSeedsPlan(t *testing.T) {
	s, err := Load("default")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Stack, loadharness.DefaultStackShape; got != want {
		t.Errorf("stack %+v, want %+v", got, want)
	}
	if s.Session != DefaultSessionProbe {
		t.Errorf("session probe %+v, want the default", s.Session)
	}
	var total time.Duration
	for _, sc := range s.Scenarios {
		total += sc.Warmup + sc.Duration
	}
	if total > 95*time.Second {
		t.Errorf("default suite has %s of load, want about 90 s so make loadtest fits in 3 minutes", total)
	}
	tests := []struct {
		name  string
		users int
		load  LoadModel
		pick  Pick
		gate  string
	}{
		{"uploads", 50, LoadModel{}, PickSequence, "sessions_lost == 0"},
		{"map-views", 100, LoadModel{Kind: Constant, Rate: 150}, PickSequence, "throughput >= 100/s"},
		{"mixed", 50, LoadModel{}, PickWeighted, "serialization_errors == 0"},
	}
	for _, tt := range tests {
		sc := s.Scenario(tt.name)
		if sc == nil {
			t.Fatalf("no scenario %s", tt.name)
		}
		if sc.Users != tt.users || sc.Load.String() != tt.load.String() || sc.Pick != tt.pick {
			t.Errorf("%s: users %d load %s pick %s, want %d %s %s", tt.name, sc.Users, sc.Load, sc.Pick, tt.users, tt.load, tt.pick)
		}
		found := false
		for _, g := range sc.Gates {
			found = found || g.Text == tt.gate
		}
		if !found {
			t.Errorf("%s: no gate %q", tt.name, tt.gate)
		}
	}
	mixed := s.Scenario("mixed")
	if got := mixed.StepNames(); strings.Join(got, ",") != "login,upload,map,dataset" {
		t.Errorf("mixed steps %v", got)
	}
	if w := mixed.Steps[0]; w.Name != "map" || w.Weight != 6 || w.Path != "/map" || !w.Expect.Session {
		t.Errorf("weighted built-in map step = %+v, want the built-in with weight 6", w)
	}
}

func TestParseFullSchema(t *testing.T) {
	src := `name: full
description: every field
stack: {instances: 2, map_cost: 3, request_timeout: 5s}
session:
  upload_id: header:X-New-Id
  upload_checksum: ""
  id: json:dataset
  checksum:
  instance_header: X-Node
  worker_header: X-Proc
gates: ["p95 < 2s"]
scenarios:
  - name: ramped
    description: ramps
    users: 20
    warmup: 1s
    duration: 10s
    ramp: {from: 10/s, to: 600/m}
    setup:
      - login
      - name: upload
        upload: {rows: 50, indicators: 3, field: data}
    steps:
      - name: custom
        method: put
        path: /items/{{user}}?x=1
        headers: {X-Who: "vu-{{user}}"}
        body: '{"user": "{{user}}"}'
        expect: {status: [200, 204], content_type: text/, body_contains: ok}
    actions:
      - {at: 5s, do: remove-instance, instance: 2}
      - {at: 1s, do: add-instance}
    gates: [error_rate < 1%]
  - name: staged
    users: 5
    stages: [{rate: 2, duration: 1s}, {rate: 3.5/s, duration: 2s}]
    steps: [map]
`
	s, err := Parse("full.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if s.Stack.Instances != 2 || s.Stack.Workers != loadharness.DefaultStackShape.Workers || s.Stack.MapCost != 3 || s.Stack.RequestTimeout != 5*time.Second {
		t.Errorf("stack %+v", s.Stack)
	}
	want := SessionProbe{UploadID: Source{FromHeader, "X-New-Id"}, ID: Source{FromJSON, "dataset"}, InstanceHeader: "X-Node", WorkerHeader: "X-Proc"}
	if s.Session != want {
		t.Errorf("session %+v, want %+v", s.Session, want)
	}
	r := s.Scenario("ramped")
	if r.Load.Kind != Ramp || r.Load.From != 10 || r.Load.To != 10 || r.Warmup != time.Second {
		t.Errorf("ramp %+v warmup %s", r.Load, r.Warmup)
	}
	if up := r.Setup[1]; up.Upload == nil || *up.Upload != (Upload{Rows: 50, Indicators: 3, Field: "data"}) || !up.Capture || up.Path != "/upload" {
		t.Errorf("upload step %+v", up)
	}
	c := r.Steps[0]
	if c.Method != "PUT" || c.Path != "/items/{{user}}?x=1" || c.Headers["X-Who"] != "vu-{{user}}" || c.Body != `{"user": "{{user}}"}` {
		t.Errorf("custom step %+v", c)
	}
	if got := c.Expect; len(got.Status) != 2 || got.ContentType != "text/" || got.BodyContains != "ok" || got.Session {
		t.Errorf("expect %+v", got)
	}
	if got := r.Actions; len(got) != 2 || got[0].Do != loadharness.ActionAddInstance || got[1] != (Action{At: 5 * time.Second, Do: loadharness.ActionRemoveInstance, Instance: 2}) {
		t.Errorf("actions %+v, want sorted by time", got)
	}
	if got := r.Gates; len(got) != 2 || got[0].Text != "p95 < 2s" || got[0].Pos.Line != 11 || got[0].Pos.Column != 10 || got[1].Text != "error_rate < 1%" {
		t.Errorf("gates %+v", got)
	}
	if got, want := r.Gates[0].Gate.String(), "p95 < 2s"; got != want {
		t.Errorf("parsed gate %q, want %q", got, want)
	}
	st := s.Scenario("staged")
	if st.Duration != 3*time.Second || len(st.Load.Stages) != 2 || st.Load.Stages[1].Rate != 3.5 {
		t.Errorf("staged duration %s load %+v", st.Duration, st.Load)
	}
}

func TestParseProblems(t *testing.T) {
	// Each case is a suite with problems and the exact messages expected,
	// in file order.
	const head = "name: s\nscenarios:\n"
	tests := []struct {
		name string
		src  string
		want []string
	}{
		{"typo in a field", head + "  - name: a\n    userz: 5\n    duration: 1s\n    steps: [map]\n", []string{
			`t.yaml:3:5: scenario "a" needs users`,
			`t.yaml:4:5: unknown field "userz" in scenario (did you mean "users"?)`,
		}},
		{"bad values", head + "  - name: a\n    users: 0\n    duration: 10\n    think: soon\n    steps: [mapp]\n", []string{
			`t.yaml:4:12: users must be 1..100000, not 0`,
			`t.yaml:5:15: duration needs a unit, for example 10s`,
			`t.yaml:6:12: think must be a duration like 20s or 1m30s, not "soon"`,
			`t.yaml:7:13: unknown step "mapp" (did you mean "map"?); built-in steps are login, upload, dataset, map, or write a full step with name, method and path`,
		}},
		{"open model conflicts", head + "  - name: a\n    users: 5\n    think: 1s\n    rate: 10/s\n    ramp: {from: 1/s, to: 2/s}\n    duration: 5s\n    steps: [map]\n", []string{
			`t.yaml:5:12: think applies to the closed model only (no rate, ramp or stages)`,
			`t.yaml:7:11: rate, ramp and stages are alternatives: give only one`,
		}},
		{"rates", head + "  - name: a\n    users: 5\n    rate: 0/s\n    duration: 25h\n    steps: [map]\n  - name: b\n    users: 5\n    ramp: {from: 1/d}\n    duration: 1s\n    steps: [map]\n", []string{
			`t.yaml:5:11: rate must be above zero`,
			`t.yaml:6:15: duration must be 1ns..24h, not 25h`,
			`t.yaml:10:11: ramp needs to`,
			`t.yaml:10:18: ramp from: rate unit must be /s, /m or /h, not /d`,
		}},
		{"stages and duration disagree", head + "  - name: a\n    users: 5\n    stages: [{rate: 1, duration: 2s}]\n    duration: 3s\n    steps: [map]\n  - name: b\n    users: 5\n    stages: [{rate: 1}]\n    steps: [map]\n", []string{
			`t.yaml:6:15: duration 3s differs from the stages' total 2s: omit it`,
			`t.yaml:10:14: a stage needs duration`,
		}},
		{"steps", head + "  - name: a\n    users: 5\n    duration: 1s\n    steps:\n      - name: x\n        path: nope\n        method: FETCH\n      - name: y\n        form: {a: b}\n        body: c\n      - {name: z, path: /z, body: '{{who}}'}\n      - {name: z, path: /z2, weight: 2}\n", []string{
			`t.yaml:8:15: path must start with /, not "nope"`,
			`t.yaml:9:17: method must be one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, not "FETCH"`,
			`t.yaml:10:9: step "y" needs path (or the name of a built-in step: login, upload, dataset, map)`,
			`t.yaml:10:9: form, body, json, body_file, multipart and upload are alternatives: give only one`,
			`t.yaml:13:35: {{who}}: no step of scenario "a" extracts who (extract: {who: {json: PATH}})`,
			`t.yaml:14:9: step name "z" is used twice in this list (first at line 13): rename one`,
			`t.yaml:14:38: weight needs pick: weighted`,
		}},
		{"actions", "name: s\nstack: {instances: 2}\nscenarios:\n  - name: a\n    users: 5\n    duration: 10s\n    steps: [map]\n    actions:\n      - {at: 10s, do: kill-instance, instance: 3}\n      - {at: 1s, do: restart-redis, instance: 1}\n      - {at: 1s, do: kill-instanse}\n      - {do: kill-instance}\n", []string{
			`t.yaml:9:14: at 10s is not within the scenario's duration 10s`,
			`t.yaml:9:48: instance 3 does not exist: the stack has 2 instances`,
			`t.yaml:10:47: restart-redis acts on no particular instance: remove instance`,
			`t.yaml:11:22: do must be one of kill-instance, restart-instance, replace-instance, add-instance, remove-instance, restart-redis, fault, not "kill-instanse" (did you mean "kill-instance"?)`,
			`t.yaml:12:9: an action needs at`,
			`t.yaml:12:9: kill-instance needs instance (1..2)`,
		}},
		{"suite level", "name: bad name\nstack: {instances: 0, workerz: 2, session_store: disk}\nsession: {id: cookie:x}\ngates: [\"\", 3]\nscenarios: []\n", []string{
			`t.yaml:1:7: name must be 1..64 letters, digits, '.', '_' or '-', not "bad name"`,
			`t.yaml:2:20: stack: instances must be 1..64, not 0`,
			`t.yaml:2:23: unknown field "workerz" in stack (did you mean "workers"?)`,
			`t.yaml:2:50: stack: session_store must be "redis" or "memory", not "disk"`,
			`t.yaml:3:15: session id must be header:NAME or json:FIELD, not "cookie:x"`,
			`t.yaml:4:10: gate: missing metric (write a gate such as p95 < 2s)`,
			`t.yaml:4:13: gate: unknown metric "3" (want p50..p99.99, p(99.9), raw_p99, min, max, mean, median, error_rate, availability, check_rate, throughput, requests, errors, sessions_checked, sessions_lost, checks_failed, dropped, skipped, serialization_errors, recovery_time, excess_errors, reaction_time, scale_events, flaps, scale_errors, target:NAME or promql(` + "`EXPR`" + `))`,
			`t.yaml:5:12: scenarios must list at least one scenario`,
		}},
		{"gates", "name: s\ngates:\n  - p95 < 2q\n  - \"error_rate <= lots\"\n  - p95{step:nope} < 1s\nscenarios:\n  - {name: a, users: 1, duration: 1s, steps: [map], gates: ['p99{step:upload} < 1s', 'p99{step:map} < 1s']}\n", []string{
			`t.yaml:3:12: gate: unit "q" does not fit p95, a latency (want ns, us, ms, s or m)`,
			`t.yaml:4:20: gate: missing threshold after <=, found "lots"`,
			`t.yaml:5:5: gate "p95{step:nope} < 1s": no scenario has a step "nope"`,
			`t.yaml:7:62: gate "p99{step:upload} < 1s": scenario "a" has no step "upload" (steps: map)`,
		}},
		{"session checks need a probe", "name: s\nsession: {upload_id: '', id: ''}\nscenarios:\n  - {name: a, users: 1, duration: 1s, setup: [upload], steps: [map]}\n", []string{
			`t.yaml:4:47: step "upload" captures a data set but session.upload_id is empty`,
			`t.yaml:4:64: step "map" checks the session but session.id is empty`,
		}},
		{"missing top level", "description: x\n", []string{
			`t.yaml:1:1: the suite needs name`,
			`t.yaml:1:1: the suite needs scenarios`,
		}},
		{"duplicates", head + "  - {name: a, users: 1, users: 2, duration: 1s, steps: [map]}\n  - {name: a, users: 1, duration: 1s, steps: [map]}\n", []string{
			`t.yaml:3:25: "users" is given twice (first at line 3)`,
			`t.yaml:4:5: scenario name "a" is used twice (first at line 3)`,
		}},
		{"syntax", "name: s\nscenarios: [\n", []string{
			`t.yaml:2:1: YAML: did not find expected node content`,
		}},
		{"empty", "", []string{`t.yaml:1:1: the suite file is empty`}},
		{"not a mapping", "- a\n", []string{`t.yaml:1:1: the suite must be a mapping, not a list`}},
		{"two documents", "name: s\n---\nname: t\n", []string{
			`t.yaml:1:1: the suite needs scenarios`,
			`t.yaml:2:1: a suite file holds one YAML document; remove this second one`,
		}},
		{"merge keys", "name: s\nbase: &b {users: 1}\nscenarios:\n  - {<<: *b, name: a, duration: 1s, steps: [map]}\n", []string{
			`t.yaml:2:1: unknown field "base" in the suite`,
			`t.yaml:4:5: scenario "a" needs users`,
			`t.yaml:4:6: merge keys (<<) are not supported`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(tt.src))
			var se *SuiteError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SuiteError", err)
			}
			got := strings.Split(se.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestParseAliases(t *testing.T) {
	src := "name: s\nx: &s [dataset]\nscenarios:\n  - &a {name: a, users: 1, duration: 1s, steps: [map]}\n  - {name: b, users: 1, duration: 1s, steps: *s}\n"
	_, err := Parse("t.yaml", []byte(src))
	var se *SuiteError
	if !errors.As(err, &se) || len(se.Problems) != 1 || !strings.Contains(se.Problems[0].Msg, `unknown field "x"`) {
		t.Fatalf("err = %v, want only the unknown field x", err)
	}
	// Aliases fanning out (a billion laughs) stop at the alias budget.
	var b strings.Builder
	b.WriteString("name: s\nscenarios:\n  - &sc {name: a, users: 1, duration: 1s, setup: &st [login], steps: *st}\n")
	for range maxAliasDerefs * 3 / 4 {
		b.WriteString("  - *sc\n")
	}
	_, err = Parse("laughs.yaml", []byte(b.String()))
	if err == nil || !strings.Contains(err.Error(), "too many alias expansions") {
		t.Fatalf("err = %.300v, want the alias budget", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mine.yaml")
	if err := os.WriteFile(path, []byte("name: mine\nscenarios: [{name: a, users: 1, duration: 1s, steps: [map]}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, arg, wantName, wantErr string
	}{
		{"built-in", "smoke", "smoke", ""},
		{"file", path, "mine", ""},
		{"unknown built-in", "nope", "", `no built-in suite "nope" (built-in: before, default, failover, redis-faults, rolling-restart, scale-out, smoke)`},
		{"missing file", filepath.Join(dir, "missing.yaml"), "", "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(tt.arg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != tt.wantName {
				t.Errorf("name %q, want %q", s.Name, tt.wantName)
			}
		})
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in      string
		want    Rate
		wantErr bool
	}{
		{"150/s", 150, false},
		{"150", 150, false},
		{" 2.5 / s ", 2.5, false},
		{"600/m", 10, false},
		{"600/min", 10, false},
		{"3600/h", 1, false},
		{"0", 0, true},
		{"-1/s", 0, true},
		{"1/d", 0, true},
		{"fast", 0, true},
		{"NaN", 0, true},
		{"Inf/s", 0, true},
		{"2000000/s", 0, true},
		{"0.5/h", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRate(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("ParseRate(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range BuiltIn() {
		data, err := builtInSuites.ReadFile("suites/" + name + ".yaml")
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: s\nscenarios: [{name: a, users: 1, duration: 1s, rate: 3/s, steps: [map, {name: x, path: /x}]}]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("name: s\nscenarios:\n  - {name: a, users: 1, duration: 9s, steps: [map], recovery: {p95: 1s}, autoscale: {signal: cpu, above: 60%, below: 0.3, for: 2s, max_instances: 3}, actions: [{at: 1s, do: replace-instance, instance: 1}]}\n"))
	f.Add([]byte("name: s\nscenarios:\n  - {name: a, users: 1, stages: [{rate: 1, duration: 1s}], steps: [map], actions: [{at: 0s, do: add-instance}]}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data)
		if err == nil {
			if s == nil || s.Name == "" || len(s.Scenarios) == 0 {
				t.Fatalf("no error but suite %+v", s)
			}
			return // the engine's FuzzParseRunnable checks that the engine takes what Parse accepts
		}
		var se *SuiteError
		if !errors.As(err, &se) || len(se.Problems) == 0 {
			t.Fatalf("err = %v, want a *SuiteError with problems", err)
		}
		for _, p := range se.Problems {
			if p.Line < 1 || p.Column < 1 || p.Msg == "" {
				t.Fatalf("problem without a position: %+v", p)
			}
		}
	})
}
