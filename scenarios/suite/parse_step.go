package suite

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"loadharness/datagen"
)

// Limits of a step, checked when a suite is parsed.
const (
	MaxUploadRows = 1_000_000
	maxBodyBytes  = 8 << 20
)

// placeholders matches what a template may fill, for checking a path's
// shape before the values are known.
var placeholders = regexp.MustCompile(`\{\{[^{}]*\}\}`)

// methods lists the request methods a step may use.
var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// parsedStep is a step with the nodes its cross-field checks point at.
type parsedStep struct {
	step                        Step
	node, weight, capture, sess *yaml.Node
	// holes are the placeholders the step uses.
	holes []holeUse
}

// steps reads a list of steps, each a built-in name or a full step.
func (w *walker) steps(n *yaml.Node, what string, lo, hi int) []parsedStep {
	items, ok := w.list(n, what)
	if !ok {
		return nil
	}
	if len(items) < lo || len(items) > hi {
		w.at(w.resolve(n), "%s must list %d..%d steps, not %d", what, lo, hi, len(items))
		return nil
	}
	out := make([]parsedStep, 0, len(items))
	for _, item := range items {
		if ps, ok := w.step(item); ok {
			out = append(out, ps)
		}
	}
	return out
}

// step reads one step: a built-in name, or a mapping. A mapping whose name
// is a built-in's and which gives no path starts from that built-in, so
// `{name: map, weight: 6}` is the built-in map step with a weight.
func (w *walker) step(n *yaml.Node) (parsedStep, bool) {
	w.holes = nil
	ps, ok := w.stepFields(n)
	ps.holes, w.holes = w.holes, nil
	return ps, ok
}

// stepFields reads a step, its placeholders noted in w.holes.
func (w *walker) stepFields(n *yaml.Node) (parsedStep, bool) {
	n = w.resolve(n)
	if n == nil {
		return parsedStep{}, false
	}
	ps := parsedStep{node: n}
	if n.Kind == yaml.ScalarNode && n.Tag != "!!null" {
		st, ok := BuiltInStep(n.Value)
		if !ok {
			w.at(n, "unknown step %s%s; built-in steps are %s, or write a full step with name, method and path",
				describe(n), didYouMean(n.Value, BuiltInSteps), strings.Join(BuiltInSteps, ", "))
			return ps, false
		}
		ps.step = st
		return ps, true
	}
	if n.Kind != yaml.MappingNode {
		w.at(n, "a step must be a built-in name or a mapping, not %s", describe(n))
		return ps, false
	}
	// Look ahead for the name and path: they decide what the step starts from.
	var name string
	hasPath := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "name":
			if v := w.resolve(n.Content[i+1]); v != nil && v.Kind == yaml.ScalarNode {
				name = v.Value
			}
		case "path":
			hasPath = true
		}
	}
	st := Step{Method: "GET", Weight: 1}
	if base, ok := BuiltInStep(name); ok && !hasPath {
		st = base.clone()
	}
	ok := true
	bodies := 0
	seen := w.mapping(n, "step", []field{
		{"name", func(v *yaml.Node) {
			if s, good := w.name(v, "step name"); good {
				st.Name = s
			} else {
				ok = false
			}
		}},
		{"method", func(v *yaml.Node) {
			s, good := w.scalar(v, "method")
			if !good {
				ok = false
				return
			}
			m := strings.ToUpper(s.Value)
			if !slices.Contains(methods, m) {
				w.at(s, "method must be one of %s, not %s", strings.Join(methods, ", "), describe(s))
				ok = false
				return
			}
			st.Method = m
		}},
		{"path", func(v *yaml.Node) {
			s, good := w.scalar(v, "path")
			if good && w.checkPath(s) {
				st.Path = s.Value
			} else {
				ok = false
			}
		}},
		{"headers", func(v *yaml.Node) { st.Headers = w.headers(v) }},
		{"form", func(v *yaml.Node) { bodies++; st.Form, st.Body, st.Upload = w.form(v), "", nil }},
		{"body", func(v *yaml.Node) {
			bodies++
			if s, good := w.str(v, "body"); good {
				w.checkTemplate(w.resolve(v), s)
				if len(s) > maxBodyBytes {
					w.at(v, "body is larger than %d bytes", maxBodyBytes)
				}
				st.Body, st.Form, st.Upload = s, nil, nil
			}
		}},
		{"upload", func(v *yaml.Node) { bodies++; st.Upload, st.Form, st.Body = w.upload(v, st.Upload), nil, "" }},
		{"json", func(v *yaml.Node) {
			bodies++
			if text, good := w.jsonBody(v); good {
				st.Body, st.BodyJSON, st.Form, st.Upload = text, true, nil, nil
			}
		}},
		{"body_file", func(v *yaml.Node) {
			bodies++
			s, good := w.scalar(v, "body_file")
			if !good {
				return
			}
			if data, good := w.readSuiteFile(s, "body_file", s.Value, maxBodyBytes); good {
				w.checkTemplate(s, string(data))
				st.Body, st.Form, st.Upload = string(data), nil, nil
			}
		}},
		{"multipart", func(v *yaml.Node) { bodies++; st.Multipart, st.Form, st.Body, st.Upload = w.multipart(v), nil, "", nil }},
		{"timeout", func(v *yaml.Node) { st.Timeout, _ = w.duration(v, "timeout", time.Millisecond, MaxStepTimeout) }},
		{"extract", func(v *yaml.Node) { st.Extract = w.extractions(v) }},
		{"checks", func(v *yaml.Node) { st.Checks = w.checks(v) }},
		{"capture", func(v *yaml.Node) { ps.capture = v; st.Capture, _ = w.boolean(v, "capture") }},
		{"weight", func(v *yaml.Node) { ps.weight = v; st.Weight, _ = w.integer(v, "weight", 1, MaxStepWeight) }},
		{"expect", func(v *yaml.Node) { ps.sess = w.expect(v, &st.Expect) }},
	})
	if seen == nil {
		return ps, false
	}
	w.require(n, "a step", seen, "name")
	if st.Path == "" && ok {
		if _, given := seen["path"]; !given {
			w.at(n, "step %q needs path (or the name of a built-in step: %s)", name, strings.Join(BuiltInSteps, ", "))
			ok = false
		}
	}
	if bodies > 1 {
		w.at(n, "form, body, json, body_file, multipart and upload are alternatives: give only one")
	}
	ps.step = st
	return ps, ok
}

// checkPath checks that a path starts with "/", parses, and has no fragment
// (the engine uses the fragment to carry a request's identity).
func (w *walker) checkPath(s *yaml.Node) bool {
	p := s.Value
	if !strings.HasPrefix(p, "/") {
		w.at(s, "path must start with /, not %s", describe(s))
		return false
	}
	if strings.ContainsAny(p, " \t\r\n#") {
		w.at(s, "path must not hold spaces or #")
		return false
	}
	if _, err := url.Parse("http://host" + placeholders.ReplaceAllString(p, "1")); err != nil {
		w.at(s, "path %s is not a valid URL path", describe(s))
		return false
	}
	return w.checkTemplate(s, p)
}

// headers reads a mapping of header names to values.
func (w *walker) headers(n *yaml.Node) map[string]string {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		w.at(n, "headers must be a mapping of names to values, not %s", describe(n))
		return nil
	}
	h := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || !validHeaderName(k.Value) {
			w.at(k, "%s is not a valid header name", describe(k))
			continue
		}
		s, ok := w.scalar(v, "header "+k.Value)
		if !ok {
			continue
		}
		if strings.ContainsAny(s.Value, "\r\n\x00") {
			w.at(s, "header %s must not hold line breaks", k.Value)
			continue
		}
		w.checkTemplate(s, s.Value)
		h[k.Value] = s.Value
	}
	return h
}

// form reads a mapping of form fields to values.
func (w *walker) form(n *yaml.Node) map[string]string {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		w.at(n, "form must be a mapping of fields to values, not %s", describe(n))
		return nil
	}
	f := map[string]string{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.Value == "" {
			w.at(k, "form field names must be plain names")
			continue
		}
		s, ok := w.scalar(v, "form "+k.Value)
		if !ok {
			continue
		}
		w.checkTemplate(s, s.Value)
		f[k.Value] = s.Value
	}
	return f
}

// upload reads {rows, indicators, field} over base (or the defaults).
func (w *walker) upload(n *yaml.Node, base *Upload) *Upload {
	u := Upload{Rows: DefaultUploadRows, Indicators: DefaultUploadIndicators, Field: DefaultUploadField}
	if base != nil {
		u = *base
	}
	if r := w.resolve(n); r != nil && r.Kind == yaml.ScalarNode && r.Tag == "!!null" {
		return &u // "upload:" alone sends the default data set
	}
	seen := w.mapping(n, "upload", []field{
		{"rows", func(v *yaml.Node) { u.Rows, _ = w.integer(v, "rows", 0, MaxUploadRows) }},
		{"indicators", func(v *yaml.Node) {
			s, ok := w.scalar(v, "indicators")
			if !ok {
				return
			}
			i, ok := w.integer(s, "indicators", 1, 1000)
			if !ok {
				return
			}
			if err := (datagen.Spec{Rows: 1, Indicators: i}).Validate(); err != nil {
				w.at(s, "indicators: %v", err)
				return
			}
			u.Indicators = i
		}},
		{"field", func(v *yaml.Node) {
			if s, ok := w.str(v, "field"); ok && s != "" {
				u.Field = s
			}
		}},
	})
	if seen == nil {
		return nil
	}
	return &u
}

// expect reads the checks of a step over those already in e. It returns the
// node of session, when given.
func (w *walker) expect(n *yaml.Node, e *Expect) (sessionNode *yaml.Node) {
	w.mapping(n, "expect", []field{
		{"status", func(v *yaml.Node) { e.Status = w.statuses(v) }},
		{"content_type", func(v *yaml.Node) { e.ContentType, _ = w.str(v, "content_type") }},
		{"body_contains", func(v *yaml.Node) { e.BodyContains, _ = w.str(v, "body_contains") }},
		{"session", func(v *yaml.Node) { sessionNode = v; e.Session, _ = w.boolean(v, "session") }},
	})
	return sessionNode
}

// statuses reads one status code or a list of them.
func (w *walker) statuses(n *yaml.Node) []int {
	r := w.resolve(n)
	if r == nil {
		return nil
	}
	items := []*yaml.Node{r}
	if r.Kind == yaml.SequenceNode {
		items = r.Content
	}
	var codes []int
	for _, item := range items {
		if c, ok := w.integer(item, "status", 100, 599); ok {
			codes = append(codes, c)
		}
	}
	return codes
}

// checkSteps checks a list of steps against the scenario and suite.
func (w *walker) checkSteps(list []parsedStep, s *Suite, sc *Scenario, setup bool) []Step {
	var out []Step
	names := map[string]int{}
	for _, ps := range list {
		st := ps.step
		if line, dup := names[st.Name]; dup && st.Name != "" {
			w.at(ps.node, "step name %q is used twice in this list (first at line %d): rename one", st.Name, line)
		}
		names[st.Name] = ps.node.Line
		if ps.weight != nil {
			switch {
			case setup:
				w.at(w.resolve(ps.weight), "setup steps run once each: weight does not apply")
			case sc.Pick != PickWeighted:
				w.at(w.resolve(ps.weight), "weight needs pick: weighted")
			}
		}
		if st.Capture && s.Session.UploadID.Kind == FromNowhere {
			w.at(nodeOr(ps.capture, ps.node), "step %q captures a data set but session.upload_id is empty", st.Name)
		}
		if st.Expect.Session && s.Session.ID.Kind == FromNowhere {
			w.at(nodeOr(ps.sess, ps.node), "step %q checks the session but session.id is empty", st.Name)
		}
		out = append(out, st)
	}
	return out
}

// nodeOr returns the resolved n, or fallback when n is nil.
func nodeOr(n, fallback *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil {
		return fallback
	}
	return n
}
