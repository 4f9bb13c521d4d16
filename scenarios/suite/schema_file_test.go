package suite

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// update rewrites docs/suite.schema.json from JSONSchema:
// go test ./scenarios/suite -run SuiteSchemaFile -update
var update = flag.Bool("update", false, "rewrite docs/suite.schema.json")

// suiteSchemaFile is the schema committed for editors that read it from
// the repository rather than from `loadtest schema suite`.
var suiteSchemaFile = filepath.Join("..", "..", "docs", "suite.schema.json")

func TestSuiteSchemaFileIsCurrent(t *testing.T) {
	got := mustJSONSchema(t)
	if *update {
		if err := os.WriteFile(suiteSchemaFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(suiteSchemaFile)
	if err != nil {
		t.Fatalf("read docs/suite.schema.json (go test ./scenarios/suite -run SuiteSchemaFile -update writes it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Error("docs/suite.schema.json is not what JSONSchema prints: run `go test ./scenarios/suite -run SuiteSchemaFile -update` and commit it")
	}
}
