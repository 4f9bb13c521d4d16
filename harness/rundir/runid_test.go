package rundir_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"loadharness/harness/rundir"
)

// setRunID rewrites a run directory's summary.json with run_id id.
func setRunID(t *testing.T, dir, id string) {
	t.Helper()
	path := filepath.Join(dir, rundir.SummaryFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["run_id"] = id
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestMergeKeepsTheRunID: the shards of one run (run --run-id) merge into
// a summary with that run's id; runs merged afterwards keep each of theirs.
func TestMergeKeepsTheRunID(t *testing.T) {
	for _, tc := range []struct {
		name string
		ids  []string
		want string
	}{
		{"the shards of one run", []string{"nightly-42", "nightly-42", "nightly-42"}, "nightly-42"},
		{"separate runs", []string{"a", "b", "a"}, "a + b"},
		{"runs that named none", []string{"", "", ""}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dirs := writeShards(t, shardResults(), len(tc.ids), true)
			for i, id := range tc.ids {
				setRunID(t, dirs[i], id)
			}
			if got := MustReport(t, dirs, filepath.Join(t.TempDir(), "merged")).RunID; got != tc.want {
				t.Errorf("merged run_id %q, want %q", got, tc.want)
			}
		})
	}
}
