package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"loadharness/docs"
	"loadharness/internal/schemacheck"
)

// publishedSummarySchema is docs/summary.schema.json, compiled once for
// every run test that checks its summary.
var publishedSummarySchema = sync.OnceValues(func() (*schemacheck.Schema, error) {
	return schemacheck.Compile([]byte(docs.SummarySchema))
})

// checkSummarySchema fails t unless the summary.json at path holds to the
// published schema, naming the JSON pointer of every value at fault: what
// a run writes is what docs/summary.schema.json promises CI scripts.
func checkSummarySchema(t testing.TB, path string) {
	t.Helper()
	schema, err := publishedSummarySchema()
	if err != nil {
		t.Fatalf("summary schema: %v", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("summary: %v", err)
	}
	if err := schema.ValidateJSON(data); err != nil {
		t.Errorf("%s: %v", path, err)
	}
}

// failures records what a check reports instead of failing the test.
type failures struct {
	testing.TB
	messages []string
}

func (f *failures) Errorf(format string, args ...any) {
	f.messages = append(f.messages, fmt.Sprintf(format, args...))
}

func TestCheckSummarySchema(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("..", "..", "reports", "testdata", "summary.json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		summary string
		want    string // "" for a summary that holds
	}{
		{"the golden summary", string(golden), ""},
		{"a count written as text", strings.Replace(string(golden), `"requests": 600`, `"requests": "600"`, 1),
			"/scenarios/0/requests"},
		{"a misspelled field", strings.Replace(string(golden), `"verdict"`, `"verdikt"`, 1), "/verdikt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want != "" && tt.summary == string(golden) {
				t.Fatal("the change was not made: the golden summary changed shape")
			}
			path := filepath.Join(t.TempDir(), "summary.json")
			if err := os.WriteFile(path, []byte(tt.summary), 0o644); err != nil {
				t.Fatal(err)
			}
			f := &failures{TB: t}
			checkSummarySchema(f, path)
			got := strings.Join(f.messages, "\n")
			switch {
			case tt.want == "" && got != "":
				t.Errorf("check failed a summary that holds:\n%s", got)
			case tt.want != "" && !strings.Contains(got, tt.want+":"):
				t.Errorf("check reported %q, want the pointer %s", got, tt.want)
			}
		})
	}
}
