package reports_test

import (
	"bytes"
	"encoding"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/invopop/jsonschema"

	"loadharness"
	"loadharness/reports"
)

// The documents generated from reports.Summary, under the module's root.
const (
	summarySchemaFile = "docs/summary.schema.json"
	summaryPageFile   = "docs/summary.md"
)

// regenerate is the command that brings the generated documents up to date.
const regenerate = "go test ./reports -run SummarySchema -update"

// borrowedDescriptions describe fields, by "Type.Field", of types outside
// reports whose Go comments do not say what they mean. They belong in those
// comments: TestSummarySchemaBorrowsOnlyWhatIsMissing fails once such a
// comment is written, so that its entry here goes.
var borrowedDescriptions = map[string]string{
	"LatencyStats.P50":        "P50 is the median, within 0.1%.",
	"LatencyStats.P90":        "P90 is the 90th percentile, within 0.1%.",
	"LatencyStats.P95":        "P95 is the 95th percentile, within 0.1%.",
	"LatencyStats.P99":        "P99 is the 99th percentile, within 0.1%.",
	"LatencyStats.Max":        "Max is the highest, exact.",
	"LatencyStats.Mean":       "Mean is the mean, exact.",
	"StackShape.Instances":    "Instances is how many copies of the target run behind the balancer.",
	"StackShape.Workers":      "Workers is how many worker processes each instance runs.",
	"StackShape.Threads":      "Threads is how many requests each worker serves at once.",
	"StackShape.SessionStore": `SessionStore is where a user's session lives: "redis", or "memory" (one worker's memory).`,
	"StackShape.DatasetStore": `DatasetStore is where an uploaded data set lives: "redis", "session" (inside the session) or "file" (the instance's disk).`,
	"GateResult.Unit":         `Unit is the unit of measured, threshold and margin: "ms", "ratio", "/s", "count", or "" for a promql gate's plain number.`,
	"GateResult.Threshold":    "Threshold is the gate's threshold, in unit.",
	"GateResult.Pass":         "Pass says the gate held; a gate that could not be measured did not.",
}

func TestSummarySchemaIsCurrent(t *testing.T) {
	s := summarySchema(t)
	assertGenerated(t, summarySchemaFile, mustSchemaJSON(t, s))
	assertGenerated(t, summaryPageFile, summaryPage(s))
}

func TestSummarySchemaDescribesEveryField(t *testing.T) {
	s := summarySchema(t)
	for where, p := range schemaProperties(s) {
		if strings.TrimSpace(p.Description) == "" {
			t.Errorf("%s has no description: write a comment on its Go field", where)
		}
	}
}

func TestSummarySchemaBorrowsOnlyWhatIsMissing(t *testing.T) {
	r := &jsonschema.Reflector{}
	t.Chdir(moduleRoot(t))
	if err := r.AddGoComments("loadharness", "./"); err != nil {
		t.Fatalf("read the Go comments: %v", err)
	}
	for key := range borrowedDescriptions {
		for full, comment := range r.CommentMap {
			if strings.HasSuffix(full, "."+key) && comment != "" {
				t.Errorf("%s now has a comment: delete its entry in borrowedDescriptions", full)
			}
		}
	}
}

// summarySchema generates the JSON Schema of summary.json from
// reports.Summary, every description taken from the Go comments of the
// types it is made of (read from the module's source).
func summarySchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	r := &jsonschema.Reflector{
		// The root is Summary itself, its parts in $defs; no $id, since
		// the schema has no home on the web to be named by.
		ExpandedStruct: true,
		Anonymous:      true,
	}
	var mapErr error
	var durations []*jsonschema.Schema
	r.Mapper = func(rt reflect.Type) *jsonschema.Schema {
		if rt == reflect.TypeFor[time.Duration]() {
			// A fresh schema per field, so its description can say the unit.
			d := &jsonschema.Schema{Type: "integer"}
			durations = append(durations, d)
			return d
		}
		s, err := customSchema(rt)
		if err != nil && mapErr == nil {
			mapErr = err
		}
		return s
	}
	r.LookupComment = func(rt reflect.Type, field string) string {
		return borrowedDescriptions[rt.Name()+"."+field]
	}
	// AddGoComments names packages by their folder under the path it is
	// given: from the module's root, "./reports" is loadharness/reports.
	t.Chdir(moduleRoot(t))
	if err := r.AddGoComments("loadharness", "./"); err != nil {
		t.Fatalf("read the Go comments: %v", err)
	}
	s := r.Reflect(&reports.Summary{})
	if mapErr != nil {
		t.Fatal(mapErr)
	}
	s.Title = "summary.json"
	// The schema is this version's: a summary of another version is not
	// described by it.
	if v, ok := s.Properties.Get("schema_version"); ok {
		v.Const = reports.SummarySchemaVersion
	}
	walkSchemas(s, func(s *jsonschema.Schema) { s.Description = unwrap(s.Description) })
	for _, d := range durations {
		d.Description = strings.TrimSpace(d.Description + " Written in nanoseconds.")
	}
	return s
}

func mustSchemaJSON(t *testing.T, s *jsonschema.Schema) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := reports.WriteJSON(&buf, s); err != nil {
		t.Fatalf("write the schema: %v", err)
	}
	return buf.Bytes()
}

var (
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
)

// customSchema returns the schema of a type that writes itself, which
// reflection would get wrong (a Verdict is a uint8 written as a word). It
// returns an error for such a type it does not know, so that none slips
// into the schema with the shape of its Go fields; nil, nil leaves rt to
// reflection.
func customSchema(rt reflect.Type) (*jsonschema.Schema, error) {
	switch rt {
	case reflect.TypeFor[loadharness.Verdict]():
		return &jsonschema.Schema{Type: "string", Enum: verdictNames()}, nil
	case reflect.TypeFor[loadharness.Gate]():
		return &jsonschema.Schema{Type: "string", Examples: []any{"p95 < 2s", "error_rate{step:map} < 1%"}}, nil
	case reflect.TypeFor[time.Time]():
		return nil, nil // reflection writes it as a date-time string
	}
	for _, m := range []reflect.Type{textMarshaler, jsonMarshaler} {
		if rt.Implements(m) || reflect.PointerTo(rt).Implements(m) {
			return nil, fmt.Errorf("%s writes its own JSON: give it a schema in customSchema", rt)
		}
	}
	return nil, nil
}

// verdictNames lists every verdict as summary.json writes it.
func verdictNames() []any {
	var names []any
	for v := loadharness.VerdictPass; !strings.HasPrefix(v.String(), "verdict("); v++ {
		names = append(names, v.String())
	}
	return names
}

// walkSchemas calls fn on s and every schema within it.
func walkSchemas(s *jsonschema.Schema, fn func(*jsonschema.Schema)) {
	if s == nil {
		return
	}
	fn(s)
	for _, name := range slices.Sorted(mapKeys(s.Definitions)) {
		walkSchemas(s.Definitions[name], fn)
	}
	if s.Properties != nil {
		for _, p := range s.Properties.FromOldest() {
			walkSchemas(p, fn)
		}
	}
	walkSchemas(s.Items, fn)
	walkSchemas(s.AdditionalProperties, fn)
	for _, list := range [][]*jsonschema.Schema{s.AnyOf, s.OneOf, s.AllOf} {
		for _, c := range list {
			walkSchemas(c, fn)
		}
	}
}

// schemaProperties returns every property of s and of its definitions, by
// "Type.json_name".
func schemaProperties(s *jsonschema.Schema) map[string]*jsonschema.Schema {
	out := map[string]*jsonschema.Schema{}
	add := func(owner string, o *jsonschema.Schema) {
		if o.Properties == nil {
			return
		}
		for name, p := range o.Properties.FromOldest() {
			out[owner+"."+name] = p
		}
	}
	add("Summary", s)
	for name, d := range s.Definitions {
		add(name, d)
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// unwrap joins the lines of a Go comment into one paragraph each, as an
// editor shows a description; blank lines still part paragraphs.
func unwrap(text string) string {
	paragraphs := strings.Split(strings.TrimSpace(text), "\n\n")
	for i, p := range paragraphs {
		paragraphs[i] = strings.Join(strings.Fields(p), " ")
	}
	return strings.Join(paragraphs, "\n\n")
}

// moduleRoot is the folder of go.mod, above this test's source.
func moduleRoot(t *testing.T) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot tell where this test's source is")
	}
	return filepath.Dir(filepath.Dir(file))
}

// assertGenerated compares got with the generated document at name (under
// the module's root), or rewrites it with -update.
func assertGenerated(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(moduleRoot(t), name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatalf("update %s: %v", name, err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s (run `%s` to create it): %v", name, regenerate, err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what reports.Summary and its comments generate: run `%s` and commit it\n%s",
			name, regenerate, firstDifference(got, want))
	}
}

// firstDifference shows the first line where got and want part.
func firstDifference(got, want []byte) string {
	g, w := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(g), len(w)) {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if gl != wl {
			return fmt.Sprintf("line %d:\n  generated: %s\n  committed: %s", i+1, gl, wl)
		}
	}
	return "(they differ only in line endings)"
}
