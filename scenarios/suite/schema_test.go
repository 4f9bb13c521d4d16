package suite

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"loadharness/internal/schemacheck"
)

func mustJSONSchema(t *testing.T) []byte {
	t.Helper()
	schema, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	return schema
}

// brokenSuites are the suite files of the repository that are wrong on
// purpose, for the tests of error messages; every other suite file must
// hold to the schema.
var brokenSuites = []string{"cmd/loadtest/testdata/bad.yaml"}

// skippedDirs hold no suite of the repository's own: build and run output,
// and Kubernetes manifests.
var skippedDirs = []string{".git", "bin", "out", "bench-out", "deploy"}

// draftSchema is the suite schema as a validator of one draft reads it.
type draftSchema struct {
	draft  string
	schema *schemacheck.Schema
}

// suiteSchemas are the suite schema as written, draft 2020-12, and as
// YAML language servers read it, by draft-07: it must mean the same to
// both.
func suiteSchemas(t *testing.T) []draftSchema {
	t.Helper()
	schema := mustJSONSchema(t)
	const draft2020, draft07 = `"https://json-schema.org/draft/2020-12/schema"`, `"http://json-schema.org/draft-07/schema#"`
	if !bytes.Contains(schema, []byte(draft2020)) {
		t.Fatalf("the suite schema does not say it is draft 2020-12")
	}
	return []draftSchema{
		{"2020-12", schemacheck.MustCompile(t, schema)},
		{"draft-07", schemacheck.MustCompile(t, bytes.Replace(schema, []byte(draft2020), []byte(draft07), 1))},
	}
}

func TestRepositorySuitesHoldToTheSchema(t *testing.T) {
	schemas := suiteSchemas(t)
	root := filepath.Join("..", "..")
	files := repositorySuites(t, root)
	for _, must := range []string{"examples/shop/suite.yaml", "cmd/loadtest/starter/suite.yaml", "scenarios/suite/suites/default.yaml"} {
		if !slices.Contains(files, must) {
			t.Fatalf("found no %s among the repository's suites %q: the walk is broken", must, files)
		}
	}
	for _, name := range files {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(root, name))
			if err != nil {
				t.Fatal(err)
			}
			_, parseErr := Parse(filepath.Join(root, name), data)
			broken := slices.Contains(brokenSuites, name)
			switch {
			case broken && parseErr == nil:
				t.Errorf("the parser accepts it: take it out of brokenSuites")
			case !broken && parseErr != nil:
				t.Errorf("the parser refuses it (if on purpose, list it in brokenSuites): %v", parseErr)
			}
			for _, d := range schemas {
				err := d.schema.ValidateYAML(data)
				switch {
				case broken:
					t.Logf("broken on purpose; the schema (%s) says: %v", d.draft, err)
				case err != nil:
					t.Errorf("%s: %v", d.draft, err)
				}
			}
		})
	}
}

// repositorySuites lists, relative to root, every YAML file whose root
// mapping has scenarios: the suites of examples, tests and docs.
func repositorySuites(t *testing.T, root string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if slices.Contains(skippedDirs, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		if ext := filepath.Ext(p); ext != ".yaml" && ext != ".yml" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var doc map[string]any
		if yaml.Unmarshal(data, &doc) != nil || doc["scenarios"] == nil {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestBuiltInSuitesHoldToTheSchema(t *testing.T) {
	schemas := suiteSchemas(t)
	names := BuiltIn()
	if len(names) == 0 {
		t.Fatal("no built-in suite")
	}
	for _, name := range names {
		data, err := builtInSuites.ReadFile(path.Join("suites", name+".yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range schemas {
			if err := d.schema.ValidateYAML(data); err != nil {
				t.Errorf("built-in suite %s (%s): %v", name, d.draft, err)
			}
		}
	}
}

// TestStarterFeaturesHoldToTheSchema checks the starter suite of `loadtest
// init` with its commented features switched on, as its comments tell a
// user to: those lines use most of what a suite for one's own service can.
func TestStarterFeaturesHoldToTheSchema(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "cmd", "loadtest", "starter", "suite.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	uncommented := strings.ReplaceAll(string(data), "#| ", "")
	if uncommented == string(data) {
		t.Fatal(`the starter has no "#| " lines any more: check what this test reads`)
	}
	for _, d := range suiteSchemas(t) {
		if err := d.schema.ValidateYAML([]byte(uncommented)); err != nil {
			t.Errorf("%s: %v", d.draft, err)
		}
	}
}

// minimalSuite is a suite the schema and the parser accept, for the cases
// below to change one thing in.
const minimalSuite = `name: s
scenarios:
  - name: browse
    users: 2
    duration: 10s
    steps:
      - name: home
        path: /
`

func TestSuiteSchemaRefusesMistakes(t *testing.T) {
	schemas := suiteSchemas(t)
	tests := []struct {
		name string
		old  string // replaced in minimalSuite by new
		new  string
		want string // the pointer of the violation
	}{
		{"misspelled top key", "name: s\n", "name: s\ngates: [p95 < 1s]\ngatse: []\n", "/gatse"},
		{"misspelled scenario key", "    users: 2\n", "    userz: 2\n", "/scenarios/0/userz"},
		{"misspelled step key", "        path: /\n", "        path: /\n        expct: {status: 200}\n", "/scenarios/0/steps/0/expct"},
		{"misspelled nested key", "        path: /\n", "        path: /\n        expect: {staus: 200}\n", "/scenarios/0/steps/0/expect/staus"},
		{"key at the wrong level", "    users: 2\n", "    users: 2\n    timeout: 5s\n", "/scenarios/0/timeout"},
		{"users as words", "users: 2", "users: two", "/scenarios/0/users"},
		{"users out of range", "users: 2", "users: 0", "/scenarios/0/users"},
		{"duration without a unit", "duration: 10s", "duration: 10", "/scenarios/0/duration"},
		{"unknown pick", "    users: 2\n", "    users: 2\n    pick: random\n", "/scenarios/0/pick"},
		{"unknown method", "        path: /\n", "        path: /\n        method: FETCH\n", "/scenarios/0/steps/0/method"},
		{"path without /", "path: /", "path: home", "/scenarios/0/steps/0/path"},
		{"unknown built-in step", "      - name: home\n        path: /\n", "      - mapp\n", "/scenarios/0/steps/0"},
		{"no scenarios", "scenarios:\n", "scenarioz:\n", ""},
		{"two sources in one extraction", "        path: /\n", "        path: /\n        extract: {t: {json: a, header: B}}\n",
			"/scenarios/0/steps/0/extract/t"},
		{"extract into a reserved name", "        path: /\n", "        path: /\n        extract: {user: {json: a}}\n",
			"/scenarios/0/steps/0/extract/user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(minimalSuite, tt.old, tt.new, 1)
			if doc == minimalSuite {
				t.Fatalf("%q is not in the minimal suite", tt.old)
			}
			if _, err := Parse("case.yaml", []byte(doc)); err == nil {
				t.Fatalf("the parser accepts it: not a mistake\n%s", doc)
			}
			for _, d := range schemas {
				err := d.schema.ValidateYAML([]byte(doc))
				var se *schemacheck.Error
				if !errors.As(err, &se) {
					t.Errorf("the schema (%s) accepts it (%v)\n%s", d.draft, err, doc)
					continue
				}
				if !slices.Contains(se.Pointers(), tt.want) {
					t.Errorf("%s: violations at %q, want one at %q: %v", d.draft, se.Pointers(), tt.want, err)
				}
			}
		})
	}
}

// TestSuiteSchemaTakesWhatTheParserTakes holds the schema to the parser's
// leniencies, so that an editor does not flag a suite loadtest runs.
func TestSuiteSchemaTakesWhatTheParserTakes(t *testing.T) {
	t.Setenv("PROBE_USERS", "3")
	schemas := suiteSchemas(t)
	tests := []struct {
		name     string
		old, new string
	}{
		{"the minimal suite", "", ""},
		{"users from the environment", "users: 2", "users: ${PROBE_USERS}"},
		{"a default from the environment", "duration: 10s", "duration: ${PROBE_DURATION:-10s}"},
		{"a lower-case method", "        path: /\n", "        path: /\n        method: post\n"},
		{"abort off", "name: s\n", "name: s\nabort: off\n"},
		{"abort false", "name: s\n", "name: s\nabort: false\n"},
		{"abort as a mapping", "name: s\n", "name: s\nabort: {error_rate: 20%, for: 5s}\n"},
		{"a number as a name", "name: s\n", "name: 2024\n"},
		{"no think time", "    users: 2\n", "    users: 2\n    think: 0\n"},
		{"a bare rate", "    users: 2\n", "    users: 2\n    rate: 50\n"},
		{"a rate per minute", "    users: 2\n", "    users: 2\n    rate: 600/min\n"},
		{"several statuses", "        path: /\n", "        path: /\n        expect: {status: [200, 201]}\n"},
		{"an empty setup", "    users: 2\n", "    users: 2\n    setup:\n"},
		{"a built-in step", "      - name: home\n        path: /\n", "      - map\n"},
		{"a built-in step tuned", "      - name: home\n        path: /\n", "      - {name: upload, upload: {rows: 50}}\n"},
		{"the default upload", "        path: /\n", "        path: /\n        method: POST\n        upload:\n"},
		{"a JSON body with a date", "        path: /\n", "        path: /\n        method: POST\n        json: {day: 2024-01-02, n: [1, 2]}\n"},
		{"a session check off", "name: s\n", "name: s\nsession: {upload_id: \"\", id: ~}\n"},
		{"a fault", "    users: 2\n", "    users: 2\n    actions: [{at: 1s, do: fault, fault: latency, latency: 200ms, jitter: 50ms, for: 2s}]\n"},
		{"a cpu policy", "    users: 2\n", "    users: 2\n    autoscale: {signal: cpu, above: 0.6, below: 30%, max_instances: 4}\n"},
		{"a p95 policy", "    users: 2\n", "    users: 2\n    autoscale: {signal: p95, above: 500ms, max_instances: 4}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := strings.Replace(minimalSuite, tt.old, tt.new, 1)
			if tt.old != "" && doc == minimalSuite {
				t.Fatalf("%q is not in the minimal suite", tt.old)
			}
			if _, err := Parse("case.yaml", []byte(doc)); err != nil {
				t.Fatalf("the parser refuses it: %v\n%s", err, doc)
			}
			for _, d := range schemas {
				if err := d.schema.ValidateYAML([]byte(doc)); err != nil {
					t.Errorf("%s: %v\n%s", d.draft, err, doc)
				}
			}
		})
	}
}

func TestSuiteSchemaDescribesEveryKey(t *testing.T) {
	root := suiteSchema()
	check := func(owner string, s *jsonSchema) {
		for _, p := range s.Properties {
			if !p.schema.never && strings.TrimSpace(p.schema.Description) == "" {
				t.Errorf("%s.%s has no description", defName(owner), p.name)
			}
		}
	}
	check("", root)
	for _, d := range root.Defs {
		if strings.TrimSpace(d.schema.Description) == "" {
			t.Errorf("definition %s has no description", d.name)
		}
		check(d.name, d.schema)
	}
	for _, tag := range stackShapeKeys() {
		if _, ok := stackKeys[tag]; !ok {
			t.Errorf("StackShape's key %q is not in stackKeys: say what it holds", tag)
		}
	}
}
