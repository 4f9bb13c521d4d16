// Package schemacheck holds documents to the JSON Schemas the harness
// publishes (summary.json's in docs/, suite files' from `loadtest schema
// suite`), for the tests that keep those schemas true. It is the one
// package that imports the validator, santhosh-tekuri/jsonschema, and it
// reads YAML the way an editor's YAML language server does (dates and
// other scalars as written), so a suite file is checked as an editor sees
// it.
package schemacheck

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// schemaURL names the one resource a Schema is compiled from; a schema's
// own $id, when it has one, takes over.
const schemaURL = "mem://schemacheck/schema.json"

// Schema is a compiled JSON Schema, draft 2020-12 unless it says otherwise.
type Schema struct {
	compiled *jsonschema.Schema
}

// Compile compiles a JSON Schema. Formats (date-time and the like) are
// asserted, not only annotations, so a summary's "started" must be a time.
// The schema is compiled against its meta-schema, which the validator
// embeds: nothing is fetched.
func Compile(schema []byte) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, fmt.Errorf("compile schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(schemaURL, doc); err != nil {
		return nil, fmt.Errorf("compile schema: %w", err)
	}
	compiled, err := c.Compile(schemaURL)
	if err != nil {
		return nil, fmt.Errorf("compile schema: %w", err)
	}
	return &Schema{compiled: compiled}, nil
}

// MustCompile is Compile for tests: it stops tb on an error.
func MustCompile(tb testing.TB, schema []byte) *Schema {
	tb.Helper()
	s, err := Compile(schema)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// ValidateJSON validates one JSON document. A violation is an *Error.
func (s *Schema) ValidateJSON(doc []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		return fmt.Errorf("read JSON: %w", err)
	}
	return s.Validate(v)
}

// ValidateYAML validates one YAML document, read as a YAML language server
// reads it (see YAMLValue). A violation is an *Error.
func (s *Schema) ValidateYAML(doc []byte) error {
	v, err := YAMLValue(doc)
	if err != nil {
		return err
	}
	return s.Validate(v)
}

// Validate validates a decoded document: what encoding/json decodes into
// an any (numbers as json.Number or float64), or YAMLValue returns. A
// violation is an *Error.
func (s *Schema) Validate(v any) error {
	err := s.compiled.Validate(v)
	var ve *jsonschema.ValidationError
	if errors.As(err, &ve) {
		return &Error{Violations: slices.Compact(violations(ve))}
	}
	return err
}

// Error is a document that does not hold to its schema: every violation,
// each at the JSON pointer of the value at fault.
type Error struct {
	Violations []Violation
}

// Violation is one value that breaks its schema.
type Violation struct {
	// Pointer is the JSON pointer (RFC 6901) of the value, "" for the
	// whole document; for a field the schema does not know, the field's.
	Pointer string
	// Message says what is wrong, as the validator words it.
	Message string
}

func (v Violation) String() string {
	p := v.Pointer
	if p == "" {
		p = "(document)"
	}
	return p + ": " + v.Message
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		lines[i] = v.String()
	}
	return "does not hold to the schema: " + strings.Join(lines, "; ")
}

// Pointers returns the pointer of every violation, in order.
func (e *Error) Pointers() []string {
	out := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		out[i] = v.Pointer
	}
	return out
}

var printer = message.NewPrinter(language.English)

// violations flattens the validator's tree of errors to its leaves, which
// say what is wrong where; the inner nodes only say which keyword's
// subschema failed. A key the schema does not allow is reported at the
// key, not at the object holding it. Of the alternatives of an anyOf or
// oneOf, only those that best explain the failure are kept (see deepest):
// a step written as a mapping is reported for its wrong key, not for not
// being one of the built-in names.
//
// The schemas checked here avoid propertyNames: the validator (v6.0.3)
// keeps the location of its errors in a slice that later keys overwrite,
// so they can point at the wrong object. patternProperties with
// additionalProperties false says the same and points right.
func violations(e *jsonschema.ValidationError) []Violation {
	at := pointer(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		out := make([]Violation, len(k.Properties))
		for i, name := range k.Properties {
			out[i] = Violation{Pointer: at + "/" + escape(name), Message: fmt.Sprintf("key %q is not allowed here", name)}
		}
		return out
	case *kind.FalseSchema:
		return []Violation{{Pointer: at, Message: "not allowed here"}}
	case *kind.AnyOf, *kind.OneOf:
		return deepest(e.Causes)
	}
	if len(e.Causes) == 0 {
		return []Violation{{Pointer: at, Message: e.ErrorKind.LocalizedString(printer)}}
	}
	var out []Violation
	for _, c := range e.Causes {
		out = append(out, violations(c)...)
	}
	return out
}

// deepest returns the violations of the alternatives that best explain
// the failure: an alternative for another type of value ("got number,
// want string") is left out when another fits the type, then those whose
// violations lie deepest in the value are kept, all of them on a tie.
func deepest(alternatives []*jsonschema.ValidationError) []Violation {
	fitting := slices.DeleteFunc(slices.Clone(alternatives), wrongType)
	if len(fitting) == 0 {
		fitting = alternatives
	}
	var out []Violation
	best := -1
	for _, alt := range fitting {
		vs := violations(alt)
		depth := 0
		for _, v := range vs {
			depth = max(depth, strings.Count(v.Pointer, "/"))
		}
		switch {
		case depth > best:
			out, best = vs, depth
		case depth == best:
			out = append(out, vs...)
		}
	}
	return out
}

// wrongType reports whether e says only that the value is of another
// type than its schema takes.
func wrongType(e *jsonschema.ValidationError) bool {
	if len(e.Causes) == 0 {
		_, ok := e.ErrorKind.(*kind.Type)
		return ok
	}
	for _, c := range e.Causes {
		if !wrongType(c) {
			return false
		}
	}
	return true
}

// pointer writes a JSON pointer from its reference tokens.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escape(t))
	}
	return b.String()
}

// escape escapes one reference token of a JSON pointer (RFC 6901).
func escape(token string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(token)
}
