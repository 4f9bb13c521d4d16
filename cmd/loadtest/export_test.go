package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"loadharness"
	"loadharness/harness/rundir"
	"loadharness/scenarios"
)

func TestExportWritesStdoutOrAFile(t *testing.T) {
	dir := writeRunDir(t, cliRun(1, 3, 20, 1), "p95 < 2s")
	code, stdout, stderr := runCLI("export", "vegeta", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	n, err := scenarios.ReadRaw(context.Background(), strings.NewReader(stdout), loadharness.SinkFunc(func(*loadharness.Result) {}))
	if err != nil || n != 60 {
		t.Errorf("stdout holds %d results (%v), want 60", n, err)
	}
	if !strings.Contains(stderr, "60 requests of browse") {
		t.Errorf("stderr does not say what was exported:\n%s", stderr)
	}
	out := filepath.Join(t.TempDir(), "export.json")
	if code, _, stderr := runCLI("export", "vegeta", "-o", out, dir); code != 0 {
		t.Fatalf("-o: exit %d\n%s", code, stderr)
	}
	st, err := os.Stat(out)
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("-o file: %v, mode %v; want it, 0644", err, st.Mode())
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("-o left %d files beside the export, want none", len(entries)-1)
	}
}

func TestExportUsage(t *testing.T) {
	dir := writeRunDir(t, cliRun(1, 2, 10, 1), "p95 < 2s")
	out := filepath.Join(t.TempDir(), "kept.json")
	if err := os.WriteFile(out, []byte("before\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     string
	}{
		{"help", []string{"export", "-h"}, 0, "Usage: loadtest export vegeta"},
		{"no arguments", []string{"export"}, loadharness.ExitHarness, "give a format and one run directory"},
		{"no run", []string{"export", "vegeta"}, loadharness.ExitHarness, "give a format and one run directory"},
		{"unknown format", []string{"export", "vegta", dir}, loadharness.ExitHarness, "did you mean vegeta?"},
		{"unknown flag", []string{"export", "vegeta", dir, "--scenaro", "x"}, loadharness.ExitHarness, "did you mean --scenario?"},
		{"unknown phase", []string{"export", "vegeta", dir, "--phases", "main,warm"}, loadharness.ExitHarness, "did you mean warmup?"},
		{"unknown scenario", []string{"export", "vegeta", dir, "--scenario", "brows"}, loadharness.ExitHarness, `did you mean "browse"?`},
		{"no such run", []string{"export", "vegeta", filepath.Join(dir, "nope")}, loadharness.ExitHarness, "no such file"},
		{"over its input", []string{"export", "vegeta", dir, "-o", filepath.Join(dir, rundir.ResultsFile)}, loadharness.ExitHarness, "is the raw results file being exported"},
		{"nothing in the phase", []string{"export", "vegeta", dir, "--phases", "setup", "-o", out}, loadharness.ExitHarness, "no request to export in phase setup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant %d and %q", code, stderr, tt.wantCode, tt.want)
			}
		})
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "before\n" {
		t.Errorf("a failed export changed its -o file: %q, %v", b, err)
	}
}

func TestParsePhaseList(t *testing.T) {
	tests := []struct {
		in   string
		want []loadharness.Phase
		err  string
	}{
		{"main", []loadharness.Phase{loadharness.PhaseMain}, ""},
		{"all", loadharness.Phases, ""},
		{" all ", loadharness.Phases, ""},
		{"main, warmup", []loadharness.Phase{loadharness.PhaseMain, loadharness.PhaseWarmup}, ""},
		{"setup", []loadharness.Phase{loadharness.PhaseSetup}, ""},
		{"", nil, `unknown phase ""`},
		{"main,,setup", nil, `unknown phase ""`},
		{"warm-up", nil, "did you mean warmup?"},
		{"all,main", nil, `unknown phase "all"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parsePhaseList(tt.in)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("error %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error %v, want one with %q", err, tt.err)
			case !slices.Equal(got, tt.want):
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzParsePhaseList: --phases never panics, and what it accepts names
// phases that exist, each written back as it was read.
func FuzzParsePhaseList(f *testing.F) {
	for _, s := range []string{"main", "all", "main,setup,warmup", " warmup ", "", ",", "mian"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		phases, err := parsePhaseList(s)
		if err != nil {
			return
		}
		if len(phases) == 0 {
			t.Fatalf("%q: no phase and no error", s)
		}
		for _, p := range phases {
			if back, ok := loadharness.ParsePhase(p.String()); !ok || back != p {
				t.Fatalf("%q: phase %v does not read back", s, p)
			}
		}
	})
}
