package reports_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"loadharness/docs"
	"loadharness/internal/schemacheck"
	"loadharness/reports"
	"loadharness/reports/internal/fixture"
)

// summarySchemaOf is the published schema, as `loadtest schema summary`
// prints it.
func summarySchemaOf(t *testing.T) *schemacheck.Schema {
	t.Helper()
	return schemacheck.MustCompile(t, []byte(docs.SummarySchema))
}

func TestGoldenSummariesHoldToTheSchema(t *testing.T) {
	schema := summarySchemaOf(t)
	files, err := filepath.Glob(filepath.Join("testdata", "*.json*"))
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if json.Unmarshal(data, &doc) != nil || doc["verdict"] == nil {
			continue // not a summary
		}
		checked++
		if err := schema.ValidateJSON(data); err != nil {
			t.Errorf("%s: %v", file, err)
		}
	}
	if checked == 0 {
		t.Fatal("found no golden summary to check")
	}
}

func TestWrittenSummariesHoldToTheSchema(t *testing.T) {
	schema := summarySchemaOf(t)
	tests := []struct {
		name string
		s    reports.Summary
	}{
		{"the fixture", fixture.Summary(t)},
		{"every optional field", everyOptionalField(t)},
		{"empty", reports.Summary{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := reports.WriteSummaryJSON(&buf, tt.s); err != nil {
				t.Fatal(err)
			}
			if err := schema.ValidateJSON(buf.Bytes()); err != nil {
				t.Errorf("%v\n%s", err, buf.Bytes())
			}
		})
	}
}

// everyOptionalField is the fixture with every field that is written only
// when it applies, so that their schemas are checked too.
func everyOptionalField(t *testing.T) reports.Summary {
	s := fixture.Summary(t)
	s.Aborted = "browse: errors above 50% for 10s"
	s.Interrupted = true
	s.Stack.Queue, s.Stack.MapCost, s.Stack.RedisPersistence = 64, 3, "aof"
	s.Stack.RequestTimeout = 5 * time.Second
	s.Events[0].Detail = "signal: killed"
	s.Gates[0].Missing = true
	sc := &s.Scenarios[0]
	sc.Skipped = 2
	setup, warmup := sc.Figures, sc.Figures
	sc.Setup, sc.Warmup = &setup, &warmup
	return s
}

func TestSummarySchemaRefusesWrongSummaries(t *testing.T) {
	schema := summarySchemaOf(t)
	golden, err := os.ReadFile(filepath.Join("testdata", "summary.json.golden"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		pointer string // where to change the golden summary
		value   any    // the value to put there; deleteValue removes it
		want    string // the pointer the violation must name
	}{
		{"count as a string", "/scenarios/0/requests", "600", "/scenarios/0/requests"},
		{"latency as null", "/scenarios/0/steps/1/latency_ms/p95", nil, "/scenarios/0/steps/1/latency_ms/p95"},
		{"fraction of a count", "/stack/instances", 1.5, "/stack/instances"},
		{"unknown verdict", "/verdict", "maybe", "/verdict"},
		{"not a time", "/started", "yesterday", "/started"},
		{"a newer schema_version", "/schema_version", 2, "/schema_version"},
		{"misspelled field", "/scenarios/1/requets", 200, "/scenarios/1/requets"},
		{"gate as an object", "/gates/0/gate", map[string]any{"metric": "p95"}, "/gates/0/gate"},
		{"code count as text", "/scenarios/0/codes/200", "595", "/scenarios/0/codes/200"},
		{"missing field", "/gates", deleteValue, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := mustSetPointer(t, golden, tt.pointer, tt.value)
			err := schema.ValidateJSON(doc)
			var se *schemacheck.Error
			if !errors.As(err, &se) {
				t.Fatalf("a summary with %s at %s = %v, want a violation", tt.name, tt.pointer, err)
			}
			if got := se.Pointers(); !slices.Contains(got, tt.want) {
				t.Errorf("violations at %q, want one at %q: %v", got, tt.want, err)
			}
		})
	}
}

// deleteValue asks mustSetPointer to remove the field.
var deleteValue = &struct{}{}

// mustSetPointer returns the JSON document doc with the value at pointer
// (made of object keys and array indexes) set to v, or removed.
func mustSetPointer(t *testing.T, doc []byte, pointer string, v any) []byte {
	t.Helper()
	var root any
	if err := json.Unmarshal(doc, &root); err != nil {
		t.Fatal(err)
	}
	tokens := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	parent := root
	for _, tok := range tokens[:len(tokens)-1] {
		switch p := parent.(type) {
		case map[string]any:
			parent = p[tok]
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i >= len(p) {
				t.Fatalf("%s: no item %s", pointer, tok)
			}
			parent = p[i]
		default:
			t.Fatalf("%s: %s is inside a %T", pointer, tok, parent)
		}
	}
	last := tokens[len(tokens)-1]
	obj, ok := parent.(map[string]any)
	if !ok {
		t.Fatalf("%s: the parent is a %T, not an object", pointer, parent)
	}
	if v == any(deleteValue) {
		delete(obj, last)
	} else {
		obj[last] = v
	}
	out, err := json.Marshal(root)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
