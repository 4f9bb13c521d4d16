package main

import (
	"encoding/json"
	"loadharness/harness/capacity"
	"loadharness/harness/rundir"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"loadharness"
)

func TestCapacityUsageErrorsExit2(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"stray argument", []string{"capacity", "--suite", "smoke", "extra"}, `unexpected argument "extra"`},
		{"bad grid", []string{"capacity", "--suite", "smoke", "--grid", "workers=0"}, "1..64"},
		{"cost without grid", []string{"capacity", "--suite", "smoke", "--cost", "instance_monthly=1,target_users=1"}, "--cost needs --grid"},
		{"bad cost", []string{"capacity", "--grid", "workers=1", "--cost", "target_users=1"}, "instance_monthly is required"},
		{"before alone", []string{"capacity", "--before", "before"}, "--before and --after go together"},
		{"unknown scenario", []string{"capacity", "--suite", "smoke", "--scenario", "nope", "--provider", "external",
			"--target", "http://127.0.0.1:1", "--metrics-url", "http://127.0.0.1:1/metrics", "--out", "OUT"}, `no scenario "nope"`},
		{"unmeasurable gate", []string{"capacity", "--suite", "smoke", "--provider", "external",
			"--target", "http://127.0.0.1:1", "--out", "OUT"}, `"serialization_errors == 0" cannot be measured`},
		{"unmeasurable gate in a comparison", []string{"capacity", "--before", "before", "--after", "default", "--provider", "external",
			"--target", "http://127.0.0.1:1", "--out", "OUT"}, `"serialization_errors == 0" cannot be measured`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			for i, a := range args {
				if a == "OUT" {
					args[i] = t.TempDir()
				}
			}
			code, _, stderr := loadtest(t, args...)
			if got, want := code, loadharness.ExitHarness; got != want {
				t.Errorf("exit code = %d, want %d\n%s", got, want, stderr)
			}
			if !strings.Contains(stderr, tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr)
			}
		})
	}
}

// TestCapacityWritesItsFiles runs a short search against a test server that
// never fails, up to a small maximum, and reads back what it wrote.
func TestCapacityWritesItsFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("a capacity search: skipped in -short mode")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusOK) }))
	defer srv.Close()
	out := t.TempDir()
	code, stdout, stderr := loadtest(t, "capacity", "--suite", "../../harness/capacity/testdata/known.yaml",
		"--provider", "external", "--target", srv.URL, "--out", out, "--start", "20", "--max", "40",
		"--warmup", "200ms", "--step", "500ms", "--confirm", "1s")
	if got, want := code, loadharness.ExitPass; got != want {
		t.Fatalf("exit code = %d, want %d\n%s\n%s", got, want, stdout, stderr)
	}
	if !strings.Contains(stdout, "CAPACITY: 40/s") {
		t.Errorf("stdout lacks the capacity line:\n%s", stdout)
	}
	data, err := os.ReadFile(filepath.Join(out, rundir.CapacityJSONFile))
	if err != nil {
		t.Fatal(err)
	}
	var res capacity.Result
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatal(err)
	}
	if got, want := res.LimitedBy, capacity.LimitMax; got != want {
		t.Errorf("limited by %q, want %q", got, want)
	}
	for _, name := range []string{rundir.CapacityCSVFile, rundir.CapacityPNGFile, rundir.CapacitySVGFile} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Error(err)
		}
	}
}
