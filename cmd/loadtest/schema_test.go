package main

import (
	"encoding/json"
	"strings"
	"testing"

	"loadharness"
	"loadharness/docs"
	"loadharness/internal/schemacheck"
	"loadharness/scenarios/suite"
)

func TestSchemaPrintsEachKind(t *testing.T) {
	suiteSchema, err := suite.JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		kind string
		want string
	}{
		{"suite", string(suiteSchema)},
		{"summary", docs.SummarySchema},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			code, stdout, stderr := loadtest(t, "schema", tt.kind)
			if code != loadharness.ExitPass {
				t.Fatalf("exit code = %d, want 0\n%s", code, stderr)
			}
			if stdout != tt.want {
				t.Errorf("loadtest schema %s does not print the %s schema:\n%.300s", tt.kind, tt.kind, stdout)
			}
			var doc struct {
				Schema string `json:"$schema"`
			}
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil || doc.Schema != "https://json-schema.org/draft/2020-12/schema" {
				t.Errorf("not a draft 2020-12 schema ($schema %q): %v", doc.Schema, err)
			}
		})
	}
}

// What `loadtest init` writes holds to what `loadtest schema suite` prints:
// the editor a new user opens it in shows no error.
func TestSchemaSuiteTakesTheStarter(t *testing.T) {
	_, schema, _ := loadtest(t, "schema", "suite")
	code, starter, stderr := loadtest(t, "init")
	if code != loadharness.ExitPass {
		t.Fatalf("loadtest init: exit code %d\n%s", code, stderr)
	}
	if err := schemacheck.MustCompile(t, []byte(schema)).ValidateYAML([]byte(starter)); err != nil {
		t.Error(err)
	}
}

func TestSchemaUsage(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{"help", []string{"schema", "-h"}, loadharness.ExitPass, "Usage: loadtest schema suite|summary"},
		{"no kind", []string{"schema"}, loadharness.ExitHarness, "give one kind"},
		{"two kinds", []string{"schema", "suite", "summary"}, loadharness.ExitHarness, "give one kind"},
		{"unknown kind", []string{"schema", "suits"}, loadharness.ExitHarness, `unknown kind "suits" (kinds: suite, summary); did you mean suite?`},
		{"unknown flag", []string{"schema", "suite", "--out", "x"}, loadharness.ExitHarness, "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := loadtest(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d\n%s", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout = %.200q, want nothing: a script must not take usage for a schema", stdout)
			}
		})
	}
}
