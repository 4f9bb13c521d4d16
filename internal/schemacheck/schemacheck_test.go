package schemacheck_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"loadharness/internal/schemacheck"
)

// personSchema is small but has what the harness's schemas use: required
// fields, closed objects, formats, nested arrays, $defs and anyOf.
const personSchema = `{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "type": "object",
  "properties": {
    "name": {"type": "string"},
    "born": {"type": "string", "format": "date-time"},
    "pets": {"type": "array", "items": {"$ref": "#/$defs/pet"}},
    "age": {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^\\$\\{"}]},
    "vars": {"type": "object", "patternProperties": {"^[a-z]+$": {}}, "properties": {"reserved": false}, "additionalProperties": false},
    "home": {"anyOf": [{"enum": ["none", "unknown"]}, {"$ref": "#/$defs/pet"}]}
  },
  "required": ["name"],
  "additionalProperties": false,
  "$defs": {
    "pet": {"type": "object", "properties": {"legs": {"type": "integer"}}, "additionalProperties": false}
  }
}`

func TestValidateJSONPointsAtTheValueAtFault(t *testing.T) {
	s := schemacheck.MustCompile(t, []byte(personSchema))
	tests := []struct {
		name string
		doc  string
		want []string // pointers; nil: valid
	}{
		{"valid", `{"name": "ada", "born": "1815-12-10T00:00:00Z", "pets": [{"legs": 4}], "age": 36}`, nil},
		{"valid through the other alternative", `{"name": "ada", "age": "${AGE}"}`, nil},
		{"wrong type", `{"name": 7}`, []string{"/name"}},
		{"wrong type in an array item", `{"name": "ada", "pets": [{"legs": 4}, {"legs": "four"}]}`, []string{"/pets/1/legs"}},
		{"unknown field, at the field", `{"name": "ada", "nmae": "x"}`, []string{"/nmae"}},
		{"unknown nested field", `{"name": "ada", "pets": [{"lges": 4}]}`, []string{"/pets/0/lges"}},
		{"missing required field, at its object", `{}`, []string{""}},
		{"format asserted", `{"name": "ada", "born": "yesterday"}`, []string{"/born"}},
		{"no alternative holds: the one of the value's type says why", `{"name": "ada", "age": -1}`, []string{"/age"}},
		{"no alternative of the value's type", `{"name": "ada", "age": true}`, []string{"/age", "/age"}},
		{"pointer escapes / and ~", `{"name": "ada", "a/b~c": 1}`, []string{"/a~1b~0c"}},
		{"a key refused by its pattern, at the key", `{"name": "ada", "vars": {"ok": 1, "Bad": 2}}`, []string{"/vars/Bad"}},
		{"a key refused by name, at the key", `{"name": "ada", "vars": {"ok": 1, "reserved": 2}}`, []string{"/vars/reserved"}},
		{"the alternative that got furthest", `{"name": "ada", "home": {"lges": 4}}`, []string{"/home/lges"}},
		{"the alternative of the value's type", `{"name": "ada", "home": "somewhere"}`, []string{"/home"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ValidateJSON([]byte(tt.doc))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ValidateJSON(%s) = %v, want valid", tt.doc, err)
				}
				return
			}
			var se *schemacheck.Error
			if !errors.As(err, &se) {
				t.Fatalf("ValidateJSON(%s) = %v, want an *Error", tt.doc, err)
			}
			if got := se.Pointers(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("pointers = %q, want %q (%v)", got, tt.want, err)
			}
		})
	}
}

func TestErrorSaysWhereAndWhat(t *testing.T) {
	s := schemacheck.MustCompile(t, []byte(personSchema))
	err := s.ValidateJSON([]byte(`{"name": "ada", "pets": [{"legs": "four"}]}`))
	if err == nil || !strings.Contains(err.Error(), "/pets/0/legs: got string, want integer") {
		t.Errorf("error = %v, want the pointer and what is wrong", err)
	}
}

func TestValidateYAMLReadsAsAnEditorDoes(t *testing.T) {
	s := schemacheck.MustCompile(t, []byte(`{
	  "type": "object",
	  "properties": {
	    "when": {"type": "string"},
	    "codes": {"type": "object", "propertyNames": {"pattern": "^[0-9]+$"}, "additionalProperties": {"type": "integer"}},
	    "ratio": {"type": "number"},
	    "on": {"type": "boolean"},
	    "none": {"type": "null"},
	    "copy": {"type": "object"}
	  },
	  "additionalProperties": false
	}`))
	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{"date stays a string", "when: 2024-01-02\n", ""},
		{"number keys are strings", "codes: {200: 3, 503: 1}\n", ""},
		{"float, bool, null", "ratio: 0.5\non: true\nnone:\n", ""},
		{"alias", "copy: &c {a: 1}\n", ""},
		{"wrong type", "ratio: half\n", "/ratio: got string, want number"},
		{"unknown field", "wehn: 2024-01-02\n", `/wehn: key "wehn" is not allowed here`},
		{"not YAML", "a: [\n", "read YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.ValidateYAML([]byte(tt.doc))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Errorf("ValidateYAML(%q) = %v, want valid", tt.doc, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("ValidateYAML(%q) = %v, want %q", tt.doc, err, tt.wantErr)
			}
		})
	}
}

func TestYAMLValueRefusesAliasBombs(t *testing.T) {
	// Each level names the one before twice: 2^30 values from 30 lines.
	var b strings.Builder
	b.WriteString("a0: &a0 [x]\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "a%d: &a%d [*a%d, *a%d]\n", i, i, i-1, i-1)
	}
	if _, err := schemacheck.YAMLValue([]byte(b.String())); err == nil || !strings.Contains(err.Error(), "alias expansions") {
		t.Errorf("YAMLValue of an alias bomb = %v, want a refusal", err)
	}
}

func TestCompileRefusesABrokenSchema(t *testing.T) {
	for _, schema := range []string{`{"type": 7}`, `{"type": "object"`, `{"$ref": "#/$defs/missing"}`} {
		if _, err := schemacheck.Compile([]byte(schema)); err == nil {
			t.Errorf("Compile(%s) succeeded", schema)
		}
	}
}
