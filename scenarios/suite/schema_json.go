package suite

import (
	"bytes"
	"encoding/json"
)

// jsonSchema is one JSON Schema (draft 2020-12) object, with only the
// keywords the suite schema uses, written in a fixed order so that the
// printed schema is stable and reads top-down. Those keywords mean the
// same in draft-07, which YAML language servers still validate by (they
// resolve "#/$defs/..." as any JSON pointer), so keep to them: no
// prefixItems, unevaluatedProperties, dependentSchemas or $dynamicRef.
type jsonSchema struct {
	Schema      string `json:"$schema,omitempty"`
	Ref         string `json:"$ref,omitempty"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	// Type is one type name or a list of them.
	Type             any         `json:"type,omitempty"`
	Enum             []any       `json:"enum,omitempty"`
	Pattern          string      `json:"pattern,omitempty"`
	Minimum          *float64    `json:"minimum,omitempty"`
	ExclusiveMinimum *float64    `json:"exclusiveMinimum,omitempty"`
	Maximum          *float64    `json:"maximum,omitempty"`
	MinItems         *int        `json:"minItems,omitempty"`
	MaxItems         *int        `json:"maxItems,omitempty"`
	Items            *jsonSchema `json:"items,omitempty"`
	MinProperties    *int        `json:"minProperties,omitempty"`
	MaxProperties    *int        `json:"maxProperties,omitempty"`
	Properties       schemaList  `json:"properties,omitempty"`
	// PatternProperties are the schemas of keys by pattern; the suite
	// schema uses them rather than propertyNames, whose violations
	// validators place less well.
	PatternProperties schemaList `json:"patternProperties,omitempty"`
	// AdditionalProperties is false (closed) or the schema of every other
	// property's value; nil leaves them free.
	AdditionalProperties any           `json:"additionalProperties,omitempty"`
	Required             []string      `json:"required,omitempty"`
	AnyOf                []*jsonSchema `json:"anyOf,omitempty"`
	Examples             []any         `json:"examples,omitempty"`
	Defs                 schemaList    `json:"$defs,omitempty"`

	// never makes the schema the one that takes nothing, written false.
	never bool
}

// falseSchema takes no value: a key whose schema it is may not be given.
var falseSchema = &jsonSchema{never: true}

// MarshalJSON writes the schema's keywords in order, or false.
func (s *jsonSchema) MarshalJSON() ([]byte, error) {
	if s.never {
		return []byte("false"), nil
	}
	type keywords jsonSchema // without this method
	return json.Marshal((*keywords)(s))
}

// namedSchema is one entry of properties or $defs.
type namedSchema struct {
	name   string
	schema *jsonSchema
}

// schemaList is a JSON object of schemas kept in the order written, since
// a map would print properties alphabetically rather than as a suite file
// gives them.
type schemaList []namedSchema

// MarshalJSON writes the list as one JSON object.
func (l schemaList) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, e := range l {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := json.Marshal(e.name)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(e.schema)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// get returns the entry called name, nil when there is none.
func (l schemaList) get(name string) *jsonSchema {
	for _, e := range l {
		if e.name == name {
			return e.schema
		}
	}
	return nil
}

// names lists the entries' names in order.
func (l schemaList) names() []string {
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = e.name
	}
	return out
}

// prop is one property of an object schema, for object().
func prop(name string, s *jsonSchema) namedSchema { return namedSchema{name, s} }

// object is a closed object: a key the parser does not know is refused.
func object(description string, props ...namedSchema) *jsonSchema {
	return &jsonSchema{Type: "object", Description: description, Properties: props, AdditionalProperties: false}
}

// ref points at a definition of the suite schema.
func ref(def, description string) *jsonSchema {
	return &jsonSchema{Ref: "#/$defs/" + def, Description: description}
}

// anyOf holds when one of alternatives does.
func anyOf(description string, alternatives ...*jsonSchema) *jsonSchema {
	return &jsonSchema{Description: description, AnyOf: alternatives}
}

// listOf is a list of items, lo..hi long (hi < 0: no bound). nullable also
// takes an empty value ("setup:" alone), which the parser reads as no items.
func listOf(description string, items *jsonSchema, lo, hi int, nullable bool) *jsonSchema {
	s := &jsonSchema{Type: "array", Description: description, Items: items}
	if nullable {
		s.Type = []string{"array", "null"}
	}
	if lo > 0 {
		s.MinItems = &lo
	}
	if hi >= 0 {
		s.MaxItems = &hi
	}
	return s
}

func ptr[T any](v T) *T { return &v }

// children lists the schemas directly within s.
func (s *jsonSchema) children() []*jsonSchema {
	var out []*jsonSchema
	for _, l := range []schemaList{s.Properties, s.PatternProperties, s.Defs} {
		for _, e := range l {
			out = append(out, e.schema)
		}
	}
	if extra, ok := s.AdditionalProperties.(*jsonSchema); ok {
		out = append(out, extra)
	}
	out = append(out, s.AnyOf...)
	for _, c := range []*jsonSchema{s.Items} {
		if c != nil {
			out = append(out, c)
		}
	}
	return out
}
