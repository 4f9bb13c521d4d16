package suite

import (
	"math"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"loadharness"
)

// durationType is reflect's name for time.Duration.
var durationType = reflect.TypeFor[time.Duration]()

// stack reads a stack shape over the defaults already in shape. Its fields
// are found through StackShape's yaml tags, so a field added there is
// accepted here without a change.
func (w *walker) stack(n *yaml.Node, shape *loadharness.StackShape) {
	rv := reflect.ValueOf(shape).Elem()
	rt := rv.Type()
	values := map[string]*yaml.Node{}
	var fields []field
	for i := range rt.NumField() {
		tag, _, _ := strings.Cut(rt.Field(i).Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		fv := rv.Field(i)
		fields = append(fields, field{tag, func(v *yaml.Node) {
			values[tag] = v
			w.setStackField(v, tag, fv)
		}})
	}
	if w.mapping(n, "stack", fields) == nil {
		return
	}
	for _, err := range shape.Validate() {
		// StackShape's messages start with the field's name: point at its value.
		first, _, _ := strings.Cut(err.Error(), " ")
		at := w.resolve(n)
		if v, ok := values[first]; ok {
			at = v
		}
		w.at(at, "stack: %v", err)
	}
}

// setStackField reads one scalar into a StackShape field by its kind.
func (w *walker) setStackField(n *yaml.Node, name string, fv reflect.Value) {
	switch {
	case fv.Type() == durationType:
		if d, ok := w.duration(n, name, 0, 24*time.Hour); ok {
			fv.SetInt(int64(d))
		}
	case fv.Kind() == reflect.Int:
		if v, ok := w.integer(n, name, math.MinInt32, math.MaxInt32); ok {
			fv.SetInt(int64(v))
		}
	case fv.Kind() == reflect.String:
		if v, ok := w.str(n, name); ok {
			fv.SetString(v)
		}
	case fv.Kind() == reflect.Bool:
		if v, ok := w.boolean(n, name); ok {
			fv.SetBool(v)
		}
	default:
		w.at(n, "stack field %s cannot be set from a suite file", name)
	}
}

// session reads a session probe over the defaults already in p.
func (w *walker) session(n *yaml.Node, p *SessionProbe) {
	source := func(dst *Source, name string) func(v *yaml.Node) {
		return func(v *yaml.Node) {
			// An empty value turns the check off.
			if r := w.resolve(v); r != nil && r.Kind == yaml.ScalarNode && r.Tag == "!!null" {
				*dst = Source{}
				return
			}
			s, ok := w.scalar(v, name)
			if !ok {
				return
			}
			src, err := ParseSource(s.Value)
			if err != nil {
				w.at(s, "session %s %v", name, err)
				return
			}
			*dst = src
		}
	}
	header := func(dst *string, name string) func(v *yaml.Node) {
		return func(v *yaml.Node) {
			s, ok := w.scalar(v, name)
			if !ok {
				return
			}
			if !validHeaderName(s.Value) {
				w.at(s, "session %s must be a header name, not %s", name, describe(s))
				return
			}
			*dst = s.Value
		}
	}
	w.mapping(n, "session", []field{
		{"upload_id", source(&p.UploadID, "upload_id")},
		{"upload_checksum", source(&p.UploadChecksum, "upload_checksum")},
		{"id", source(&p.ID, "id")},
		{"checksum", source(&p.Checksum, "checksum")},
		{"instance_header", header(&p.InstanceHeader, "instance_header")},
		{"worker_header", header(&p.WorkerHeader, "worker_header")},
		{"version_header", header(&p.VersionHeader, "version_header")},
	})
}
