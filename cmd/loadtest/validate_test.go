package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"loadharness"
)

// TestValidateRefusesWhatARunCouldNotProve: a scenario with no gate could
// never fail, and a gate on the target's own metrics cannot be measured on
// an external service without --metrics-url; both are refused before
// anything runs, with the reason, at the line of what is wrong.
func TestValidateRefusesWhatARunCouldNotProve(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	gateless := write("gateless.yaml", "name: g\nscenarios:\n  - {name: a, users: 1, duration: 1s, steps: [{name: h, path: /}]}\n")
	targetGate := write("target.yaml", "name: t\ngates: [serialization_errors == 0, p95 < 1s]\nscenarios:\n  - {name: a, users: 1, duration: 1s, steps: [{name: h, path: /}]}\n")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no gates", []string{"validate", gateless}, loadharness.ExitHarness, `gateless.yaml:3:5: scenario "a" has no gates`},
		{"target gate, our stack", []string{"validate", targetGate}, loadharness.ExitPass, ""},
		{"target gate, external", []string{"validate", targetGate, "--target", "http://127.0.0.1:9"}, loadharness.ExitHarness,
			`target.yaml:2:9: gate "serialization_errors == 0" cannot be measured`},
		{"target gate, external with metrics", []string{"validate", "--provider", "external", "--metrics-url", "http://127.0.0.1:9/metrics", targetGate},
			loadharness.ExitPass, ""},
		{"run refuses it too, before any file", []string{"run", targetGate, "--target", "http://127.0.0.1:9", "--out", filepath.Join(dir, "out")},
			loadharness.ExitHarness, "cannot be measured"},
		{"run checks --target first", []string{"run", "--suite", "testdata/tiny.yaml", "--target", "ftp://x", "--out", filepath.Join(dir, "out")},
			loadharness.ExitHarness, `--target "ftp://x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := loadtest(t, tt.args...)
			if code != tt.wantCode || !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", code, stderr, tt.wantCode, tt.wantErr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "out.partial")); !os.IsNotExist(err) {
		t.Errorf("a refused run touched its output: %v", err)
	}
}

// TestHelpAndMistypedFlags: -h is a request, answered with exit 0, on
// every command; a mistyped flag is refused with the flag it resembles.
func TestHelpAndMistypedFlags(t *testing.T) {
	for _, cmd := range []string{"run", "validate", "capacity", "report", "compare", "init", "import-har"} {
		if code, _, stderr := loadtest(t, cmd, "-h"); code != loadharness.ExitPass || !strings.Contains(stderr, "-") {
			t.Errorf("%s -h: exit %d, want 0 and the flags\n%s", cmd, code, stderr)
		}
	}
	code, _, stderr := loadtest(t, "run", "--outt", "x")
	if code != loadharness.ExitHarness || !strings.Contains(stderr, "did you mean --out?") {
		t.Errorf("run --outt: exit %d\n%s\nwant exit 2 and a suggestion of --out", code, stderr)
	}
	if code, stdout, _ := loadtest(t, "version"); code != 0 || !strings.Contains(stdout, "go1.") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}
