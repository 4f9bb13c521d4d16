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
		return &Error{Violations: violations(ve)}
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
// subschema failed. A field the schema does not know is reported at the
// field, not at the object holding it.
func violations(ve *jsonschema.ValidationError) []Violation {
	var out []Violation
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		at := pointer(e.InstanceLocation)
		if extra, ok := e.ErrorKind.(*kind.AdditionalProperties); ok {
			for _, name := range extra.Properties {
				out = append(out, Violation{Pointer: at + "/" + escape(name), Message: "unknown field " + fmt.Sprintf("%q", name)})
			}
			return
		}
		out = append(out, Violation{Pointer: at, Message: e.ErrorKind.LocalizedString(printer)})
	}
	walk(ve)
	// Alternatives (anyOf) can fail the same way twice at one place.
	return slices.Compact(out)
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
