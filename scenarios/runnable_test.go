package scenarios

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"loadharness"
	"loadharness/scenarios/suite"
)

// FuzzParseRunnable checks that the engine takes every scenario the suite
// parser accepts (suite.FuzzParse checks the parser's own promises).
func FuzzParseRunnable(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("suite", "suites", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no built-in suites to seed from: %v", err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("name: s\nscenarios: [{name: a, users: 1, duration: 1s, rate: 3/s, steps: [map, {name: x, path: /x}]}]\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("name: s\nscenarios:\n  - {name: a, users: 1, duration: 9s, steps: [map], recovery: {p95: 1s}, autoscale: {signal: cpu, above: 60%, below: 0.3, for: 2s, max_instances: 3}, actions: [{at: 1s, do: replace-instance, instance: 1}]}\n"))
	f.Add([]byte("name: s\nscenarios:\n  - {name: a, users: 1, stages: [{rate: 1, duration: 1s}], steps: [map], actions: [{at: 0s, do: add-instance}]}\n"))
	act := func(context.Context, suite.Action) loadharness.Event { return loadharness.Event{} }
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := suite.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		for _, sc := range s.Scenarios {
			if err := checkRunnable(sc, RunOptions{BaseURL: "http://127.0.0.1:1", Sink: &collected{}, Act: act}); err != nil {
				t.Fatalf("parsed scenario is not runnable: %v", err)
			}
		}
	})
}
