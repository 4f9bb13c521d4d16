package schemacheck

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"gopkg.in/yaml.v3"
)

// maxAliasDerefs bounds how many aliases one document may expand, as the
// suite parser does, so that a small file of nested aliases cannot make a
// test build a huge value.
const maxAliasDerefs = 1000

// YAMLValue reads one YAML document into the values a JSON Schema speaks
// of: mappings as map[string]any, sequences as []any, and scalars by their
// resolved tag. Dates (2024-01-02) stay strings, as YAML 1.2, which YAML
// language servers follow, has no timestamp type; so do special floats
// (.inf, .nan), which JSON cannot hold.
func YAMLValue(doc []byte) (any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(doc))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil // an empty document is null
		}
		return nil, fmt.Errorf("read YAML: %w", err)
	}
	var r yamlReader
	return r.value(&root)
}

// yamlReader turns nodes into values, counting the aliases it expands.
type yamlReader struct {
	derefs int
}

func (r *yamlReader) value(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return r.value(n.Content[0])
	case yaml.AliasNode:
		if r.derefs++; r.derefs > maxAliasDerefs {
			return nil, fmt.Errorf("read YAML: line %d: more than %d alias expansions", n.Line, maxAliasDerefs)
		}
		return r.value(n.Alias)
	case yaml.MappingNode:
		return r.mapping(n)
	case yaml.SequenceNode:
		out := make([]any, len(n.Content))
		for i, c := range n.Content {
			v, err := r.value(c)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	case yaml.ScalarNode:
		return scalar(n)
	}
	return nil, fmt.Errorf("read YAML: line %d: unknown node kind %d", n.Line, n.Kind)
}

// mapping reads a mapping; keys are strings, as JSON's are, whatever
// their YAML type (200: is the key "200").
func (r *yamlReader) mapping(n *yaml.Node) (map[string]any, error) {
	out := make(map[string]any, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		for k.Kind == yaml.AliasNode && k.Alias != nil {
			k = k.Alias
		}
		if k.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("read YAML: line %d: a key that is not a scalar", k.Line)
		}
		v, err := r.value(n.Content[i+1])
		if err != nil {
			return nil, err
		}
		out[k.Value] = v
	}
	return out, nil
}

// scalar reads a scalar by its resolved tag.
func scalar(n *yaml.Node) (any, error) {
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		if err := n.Decode(&b); err != nil {
			return nil, fmt.Errorf("read YAML: line %d: %w", n.Line, err)
		}
		return b, nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			return i, nil
		}
		// Too large for int64: a float, as JSON would hold it.
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return n.Value, nil
		}
		return f, nil
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return nil, fmt.Errorf("read YAML: line %d: %w", n.Line, err)
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return n.Value, nil
		}
		return f, nil
	default:
		// !!str, !!timestamp, !!binary and custom tags: the text as written.
		return n.Value, nil
	}
}
