package rundir

import (
	"bytes"
	"encoding/json"
	"loadharness/reports"
	"reflect"
	"testing"
)

// FuzzParseTargetSamples checks that target-metrics.json never panics the
// reader and that whatever it accepts writes back and reads the same.
func FuzzParseTargetSamples(f *testing.F) {
	f.Add([]byte(`[{"at":"2025-07-29T12:00:00Z","values":{"target_queue_depth":1,"redis_used_memory_bytes":3145728}}]`))
	f.Add([]byte(`[{"at":"2025-07-29T12:00:01.5+02:00","values":{}},{"values":{"x":1}}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[{"at":"not a time"}]`))
	f.Add([]byte(`[{"at":"2025-07-29T12:00:00Z","values":{"a":1e308,"b":-0}}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		samples, err := parseTargetSamples(data)
		if err != nil {
			return
		}
		for _, s := range samples {
			if s.At.IsZero() {
				t.Fatalf("a sample without a time was kept: %+v", s)
			}
		}
		var buf bytes.Buffer
		if err := reports.WriteJSON(&buf, finiteSamples(samples)); err != nil {
			t.Fatalf("accepted samples do not write back: %v", err)
		}
		again, err := parseTargetSamples(buf.Bytes())
		if err != nil {
			t.Fatalf("written samples do not read back: %v\n%s", err, buf.Bytes())
		}
		if len(again) != len(samples) {
			t.Fatalf("%d samples read back, want %d", len(again), len(samples))
		}
	})
}

// FuzzParseEnvironment checks environment.json the same way.
func FuzzParseEnvironment(f *testing.F) {
	f.Add([]byte(`{"commit":"abc","host":"h","os":"linux","arch":"amd64","cpus":2,"go_version":"go1.26.0","provider":"process","redis_kind":"redis-server 7","versions":{"target":"v1"},"generated":"2025-07-29T12:00:00Z"}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"cpus":"two"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		env, err := parseEnvironment(data)
		if err != nil {
			return
		}
		b, err := json.Marshal(env)
		if err != nil {
			t.Fatalf("accepted environment does not write back: %v", err)
		}
		again, err := parseEnvironment(b)
		if err != nil {
			t.Fatalf("written environment does not read back: %v\n%s", err, b)
		}
		if !env.Generated.Equal(again.Generated) {
			t.Fatalf("generated %v became %v", env.Generated, again.Generated)
		}
		env.Generated, again.Generated = again.Generated, env.Generated
		if len(env.Versions) == 0 && len(again.Versions) == 0 {
			env.Versions, again.Versions = nil, nil // {} and absent both mean none
		}
		if !reflect.DeepEqual(env, again) {
			t.Fatalf("environment changed on a round trip:\n%+v\n%+v", env, again)
		}
	})
}
