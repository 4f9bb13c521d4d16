package suite

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// MaxStepTimeout bounds a step's own timeout.
const MaxStepTimeout = 10 * time.Minute

// holeUse is a placeholder a step uses, with the node it was written in,
// for the checks that need the whole scenario (row fields, variables).
type holeUse struct {
	hole Hole
	node *yaml.Node
}

// checkTemplate parses s, written in n, as a template and notes its
// placeholders for the scenario's checks.
func (w *walker) checkTemplate(n *yaml.Node, s string) bool {
	t, err := ParseTemplate(s)
	if err != nil {
		w.at(n, "%v", err)
		return false
	}
	for _, h := range t.Holes {
		w.holes = append(w.holes, holeUse{hole: h, node: n})
	}
	return true
}

// suitePath resolves a file named in the suite against the suite's folder.
func (w *walker) suitePath(name string) string {
	if filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(filepath.Dir(w.file), name)
}

// readSuiteFile reads a file named in the suite at n, within limit bytes.
func (w *walker) readSuiteFile(n *yaml.Node, what, name string, limit int64) ([]byte, bool) {
	path := w.suitePath(name)
	f, err := os.Open(path)
	if err != nil {
		w.at(n, "%s: %v", what, err)
		return nil, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		w.at(n, "%s: %v", what, err)
		return nil, false
	}
	if int64(len(data)) > limit {
		w.at(n, "%s: %s is larger than %d bytes", what, path, limit)
		return nil, false
	}
	return data, true
}

// jsonBody turns the YAML value of json: into JSON text, a template whose
// placeholders sit in its strings.
func (w *walker) jsonBody(n *yaml.Node) (string, bool) {
	n = w.resolve(n)
	if n == nil {
		return "", false
	}
	datesAsWritten(n, map[*yaml.Node]bool{})
	var v any
	if err := n.Decode(&v); err != nil {
		w.at(n, "json: %v", err)
		return "", false
	}
	text, err := json.Marshal(jsonable(v))
	if err != nil {
		w.at(n, "json: %v", err)
		return "", false
	}
	if len(text) > maxBodyBytes {
		w.at(n, "json body is larger than %d bytes", maxBodyBytes)
		return "", false
	}
	return string(text), w.checkTemplate(n, string(text))
}

// datesAsWritten makes the dates under n (plain scalars such as 2024-01-02)
// strings, so that a json: body holds them as written rather than as the
// time.Time yaml.v3 decodes them to, 2024-01-02T00:00:00Z.
func datesAsWritten(n *yaml.Node, seen map[*yaml.Node]bool) {
	if n == nil || seen[n] {
		return
	}
	seen[n] = true
	if n.Kind == yaml.ScalarNode && n.Tag == "!!timestamp" && n.Style&yaml.TaggedStyle == 0 {
		n.Tag = "!!str"
	}
	datesAsWritten(n.Alias, seen)
	for _, c := range n.Content {
		datesAsWritten(c, seen)
	}
}

// jsonable turns what yaml.v3 decodes (maps with any keys) into what
// encoding/json encodes.
func jsonable(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = jsonable(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = jsonable(e)
		}
		return x
	default:
		return v
	}
}

// multipart reads a mapping of part names to values, "@FILE" reading a file.
func (w *walker) multipart(n *yaml.Node) []MultipartField {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		w.at(n, "multipart must be a mapping of fields to values, not %s", describe(n))
		return nil
	}
	var parts []MultipartField
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			w.at(k, "multipart field names must be plain names")
			continue
		}
		s, ok := w.scalar(v, "multipart "+k.Value)
		if !ok {
			continue
		}
		if name, isFile := strings.CutPrefix(s.Value, "@"); isFile {
			data, ok := w.readSuiteFile(s, "multipart "+k.Value, name, maxBodyBytes)
			if ok {
				parts = append(parts, MultipartField{Name: k.Value, Value: string(data), File: filepath.Base(name)})
			}
			continue
		}
		w.checkTemplate(s, s.Value)
		parts = append(parts, MultipartField{Name: k.Value, Value: s.Value})
	}
	return parts
}

// extractions reads a mapping of variable names to {json|header|cookie|regex: EXPR}.
func (w *walker) extractions(n *yaml.Node) []Extraction {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		w.at(n, "extract must be a mapping of variable names to sources, not %s", describe(n))
		return nil
	}
	var out []Extraction
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || !ValidVarName(k.Value) {
			w.at(k, "%s cannot name a variable (letters, digits and _, not starting with a digit; not user or row)", describe(k))
			continue
		}
		e := Extraction{Name: k.Value}
		sources := 0
		source := func(kind string) func(*yaml.Node) {
			return func(v *yaml.Node) {
				sources++
				s, ok := w.scalar(v, "extract "+k.Value+" "+kind)
				if !ok {
					return
				}
				e.From, e.Expr = kind, s.Value
				if kind == FromRegex {
					re, err := regexp.Compile(s.Value)
					if err != nil {
						w.at(s, "extract %s: %v", k.Value, err)
						return
					}
					e.Regex = re
				}
			}
		}
		seen := w.mapping(v, "extract "+k.Value, []field{
			{FromJSONPath, source(FromJSONPath)},
			{FromHeaderOf, source(FromHeaderOf)},
			{FromCookie, source(FromCookie)},
			{FromRegex, source(FromRegex)},
		})
		if seen == nil {
			continue
		}
		if sources != 1 {
			w.at(w.resolve(v), "extract %s needs exactly one of json, header, cookie and regex", k.Value)
			continue
		}
		if e.Expr == "" {
			w.at(w.resolve(v), "extract %s: the %s to read is empty", k.Value, e.From)
			continue
		}
		out = append(out, e)
	}
	return out
}

// checks reads a list of checks.
func (w *walker) checks(n *yaml.Node) []Check {
	items, ok := w.list(n, "checks")
	if !ok {
		return nil
	}
	var out []Check
	names := map[string]bool{}
	for _, item := range items {
		c, ok := w.check(item)
		if !ok {
			continue
		}
		if names[c.Name] {
			w.at(w.resolve(item), "check name %q is used twice in this step: name one with name:", c.Name)
			continue
		}
		names[c.Name] = true
		out = append(out, c)
	}
	return out
}

// check reads one check.
func (w *walker) check(n *yaml.Node) (Check, bool) {
	var c Check
	var kinds, conditions int
	var matches string
	seen := w.mapping(n, "a check", []field{
		{"name", func(v *yaml.Node) { c.Name, _ = w.name(v, "check name") }},
		{CheckJSON, func(v *yaml.Node) { kinds++; c.Kind = CheckJSON; c.Expr, _ = w.str(v, "json path") }},
		{CheckHeader, func(v *yaml.Node) {
			kinds++
			c.Kind = CheckHeader
			if s, ok := w.scalar(v, "header"); ok {
				if !validHeaderName(s.Value) {
					w.at(s, "%s is not a valid header name", describe(s))
				}
				c.Expr = s.Value
			}
		}},
		{CheckBodySize, func(v *yaml.Node) {
			kinds++
			c.Kind = CheckBodySize
			seen := w.mapping(v, "body_size", []field{
				{"min", func(v *yaml.Node) { m, _ := w.integer(v, "min", 0, 1<<40); c.MinBytes = int64(m) }},
				{"max", func(v *yaml.Node) { m, _ := w.integer(v, "max", 1, 1<<40); c.MaxBytes = int64(m) }},
			})
			if seen != nil && len(seen) == 0 {
				w.at(w.resolve(v), "body_size needs min, max or both")
			}
		}},
		{CheckLatency, func(v *yaml.Node) {
			kinds++
			c.Kind = CheckLatency
			c.Latency, _ = w.duration(v, "latency", time.Millisecond, MaxStepTimeout)
		}},
		{"equals", func(v *yaml.Node) {
			conditions++
			if s, ok := w.scalar(v, "equals"); ok {
				c.Equals = &s.Value
			}
		}},
		{"exists", func(v *yaml.Node) {
			conditions++
			if b, ok := w.boolean(v, "exists"); ok {
				c.Exists = &b
			}
		}},
		{"matches", func(v *yaml.Node) {
			conditions++
			s, ok := w.scalar(v, "matches")
			if !ok {
				return
			}
			re, err := regexp.Compile(s.Value)
			if err != nil {
				w.at(s, "matches: %v", err)
				return
			}
			c.Matches, matches = re, s.Value
		}},
	})
	if seen == nil {
		return c, false
	}
	at := w.resolve(n)
	switch {
	case kinds != 1:
		w.at(at, "a check needs exactly one of json, header, body_size and latency")
		return c, false
	case (c.Kind == CheckJSON || c.Kind == CheckHeader) && conditions != 1:
		w.at(at, "a %s check needs exactly one of equals, exists and matches", c.Kind)
		return c, false
	case (c.Kind == CheckBodySize || c.Kind == CheckLatency) && conditions != 0:
		w.at(at, "a %s check takes no equals, exists or matches", c.Kind)
		return c, false
	case c.Kind == CheckBodySize && c.MaxBytes > 0 && c.MinBytes > c.MaxBytes:
		w.at(at, "body_size: min %d is above max %d", c.MinBytes, c.MaxBytes)
		return c, false
	}
	if c.Name == "" {
		c.Name = checkName(c, matches)
	}
	return c, true
}

// checkName names a check by what it checks, for a check written without
// a name: "json status equals accepted".
func checkName(c Check, matches string) string {
	switch c.Kind {
	case CheckBodySize:
		return fmt.Sprintf("body_size %d..%d", c.MinBytes, c.MaxBytes)
	case CheckLatency:
		return "latency < " + c.Latency.String()
	}
	name := c.Kind + " " + c.Expr
	switch {
	case c.Equals != nil:
		name += " equals " + truncate(*c.Equals, 40)
	case c.Exists != nil && *c.Exists:
		name += " exists"
	case c.Exists != nil:
		name += " absent"
	default:
		name += " matches " + truncate(matches, 40)
	}
	return name
}

// checkHoles checks the placeholders of a scenario's steps against what the
// scenario provides: {{row.F}} needs data with field F, {{NAME}} a step
// that extracts NAME. It also checks that unique data has a row per user.
func (w *walker) checkHoles(sc *Scenario, nodes *scenarioNodes) {
	extracted := map[string]bool{}
	for _, list := range [][]parsedStep{nodes.setup, nodes.steps} {
		for _, ps := range list {
			for _, e := range ps.step.Extract {
				extracted[e.Name] = true
			}
		}
	}
	for _, list := range [][]parsedStep{nodes.setup, nodes.steps} {
		for _, ps := range list {
			for _, u := range ps.holes {
				switch u.hole.Kind {
				case HoleRow:
					switch {
					case sc.Data == nil && nodes.data == nil:
						w.at(u.node, "%s: scenario %q has no data (add data: {file: FILE})", u.hole, sc.Name)
					case sc.Data != nil && sc.Data.Field(u.hole.Name) < 0:
						w.at(u.node, "%s: %s has no field %q (fields: %s)%s", u.hole, sc.Data.File, u.hole.Name,
							strings.Join(sc.Data.Fields, ", "), didYouMean(u.hole.Name, sc.Data.Fields))
					}
				case HoleVar:
					if !extracted[u.hole.Name] {
						names := make([]string, 0, len(extracted))
						for n := range extracted {
							names = append(names, n)
						}
						w.at(u.node, "%s: no step of scenario %q extracts %s (extract: {%s: {json: PATH}})%s",
							u.hole, sc.Name, u.hole.Name, u.hole.Name, didYouMean(u.hole.Name, names))
					}
				}
			}
		}
	}
	if sc.Data != nil && sc.Data.Order == OrderUnique && sc.Users > len(sc.Data.Rows) {
		w.at(w.resolve(nodes.data), "data %s has %d rows for %d users: order unique needs a row per user",
			sc.Data.File, len(sc.Data.Rows), sc.Users)
	}
}

// tls reads {ca_file, insecure_skip_verify}.
func (w *walker) tls(n *yaml.Node, t *TLS) {
	w.mapping(n, "tls", []field{
		{"ca_file", func(v *yaml.Node) {
			s, ok := w.scalar(v, "ca_file")
			if !ok {
				return
			}
			pem, ok := w.readSuiteFile(s, "ca_file", s.Value, 1<<20)
			if !ok {
				return
			}
			if !x509.NewCertPool().AppendCertsFromPEM(pem) {
				w.at(s, "ca_file %s holds no PEM certificate", s.Value)
				return
			}
			t.CAFile, t.CAPEM = s.Value, pem
		}},
		{"insecure_skip_verify", func(v *yaml.Node) { t.InsecureSkipVerify, _ = w.boolean(v, "insecure_skip_verify") }},
	})
}
