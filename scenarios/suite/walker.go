package suite

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// maxAliasDerefs bounds how many YAML aliases one file may expand, so that a
// small file of nested aliases cannot make validation walk a huge tree.
const maxAliasDerefs = 1000

// walker reads a yaml.Node tree field by field, collecting every problem with
// its position instead of stopping at the first one.
type walker struct {
	file     string
	problems []Problem
	derefs   int
	// secrets are the values taken from the environment (expandEnv); no
	// message may quote them.
	secrets []string
	// holes collects the placeholders of the step being read.
	holes []holeUse
}

// at records a problem at n's position (1:1 when n has none).
func (w *walker) at(n *yaml.Node, format string, args ...any) {
	line, col := 1, 1
	if n != nil && n.Line > 0 {
		line = n.Line
		col = max(n.Column, 1)
	}
	w.atPos(line, col, fmt.Sprintf(format, args...))
}

// atPos records a problem at an explicit position.
func (w *walker) atPos(line, col int, msg string) {
	msg = redactMessage(msg, w.secrets)
	w.problems = append(w.problems, Problem{File: w.file, Line: max(line, 1), Column: max(col, 1), Msg: msg})
}

// pos returns n's position in the file.
func (w *walker) pos(n *yaml.Node) Pos {
	if n == nil || n.Line < 1 {
		return Pos{File: w.file, Line: 1, Column: 1}
	}
	return Pos{File: w.file, Line: n.Line, Column: max(n.Column, 1)}
}

// resolve follows aliases to the node they name, within the alias budget. It
// returns nil when the budget is spent.
func (w *walker) resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		w.derefs++
		if w.derefs == maxAliasDerefs+1 {
			w.at(n, "too many alias expansions (more than %d)", maxAliasDerefs)
		}
		if w.derefs > maxAliasDerefs {
			return nil
		}
		n = n.Alias
	}
	return n
}

// field is one known key of a mapping and what to do with its value.
type field struct {
	name string
	fn   func(v *yaml.Node)
}

// mapping walks the pairs of a mapping node: it reports a node that is not a
// mapping, duplicate and unknown keys (suggesting the closest known name),
// and calls the handler of every known key. It returns the key nodes seen by
// name, nil when n is not a mapping.
func (w *walker) mapping(n *yaml.Node, what string, fields []field) map[string]*yaml.Node {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		w.at(n, "%s must be a mapping, not %s", what, describe(n))
		return nil
	}
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	seen := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			w.at(k, "%s keys must be plain names", what)
			continue
		}
		if k.Tag == "!!merge" {
			w.at(k, "merge keys (<<) are not supported")
			continue
		}
		if prev, dup := seen[k.Value]; dup {
			w.at(k, "%s is given twice (first at line %d)", strconv.Quote(k.Value), prev.Line)
			continue
		}
		seen[k.Value] = k
		handled := false
		for _, f := range fields {
			if f.name == k.Value {
				f.fn(v)
				handled = true
				break
			}
		}
		if !handled {
			w.at(k, "unknown field %q in %s%s", k.Value, what, didYouMean(k.Value, names))
		}
	}
	return seen
}

// require reports every name of required missing from seen, at the mapping.
func (w *walker) require(n *yaml.Node, what string, seen map[string]*yaml.Node, required ...string) {
	if seen == nil {
		return
	}
	for _, name := range required {
		if _, ok := seen[name]; !ok {
			w.at(w.resolve(n), "%s needs %s", what, name)
		}
	}
}

// describe names a node's kind for messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "empty"
		}
		return strconv.Quote(truncate(n.Value, 40))
	default:
		return "this"
	}
}

// truncate shortens s for a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// scalar returns n resolved when it is a non-empty scalar, and reports it
// otherwise.
func (w *walker) scalar(n *yaml.Node, name string) (*yaml.Node, bool) {
	n = w.resolve(n)
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.ScalarNode {
		w.at(n, "%s must be a single value, not %s", name, describe(n))
		return nil, false
	}
	if n.Tag == "!!null" {
		w.at(n, "%s needs a value", name)
		return nil, false
	}
	return n, true
}

// str reads a string value.
func (w *walker) str(n *yaml.Node, name string) (string, bool) {
	s, ok := w.scalar(n, name)
	if !ok {
		return "", false
	}
	return s.Value, true
}

// integer reads an integer in [lo, hi].
func (w *walker) integer(n *yaml.Node, name string, lo, hi int) (int, bool) {
	s, ok := w.scalar(n, name)
	if !ok {
		return 0, false
	}
	var v int64
	if s.Tag != "!!int" || s.Decode(&v) != nil {
		w.at(s, "%s must be a whole number, not %s", name, describe(s))
		return 0, false
	}
	if v < int64(lo) || v > int64(hi) {
		w.at(s, "%s must be %d..%d, not %d", name, lo, hi, v)
		return 0, false
	}
	return int(v), true
}

// boolean reads true or false.
func (w *walker) boolean(n *yaml.Node, name string) (bool, bool) {
	s, ok := w.scalar(n, name)
	if !ok {
		return false, false
	}
	var v bool
	if s.Tag != "!!bool" || s.Decode(&v) != nil {
		w.at(s, "%s must be true or false, not %s", name, describe(s))
		return false, false
	}
	return v, true
}

// duration reads a Go duration ("20s", "1m30s") in [lo, hi].
func (w *walker) duration(n *yaml.Node, name string, lo, hi time.Duration) (time.Duration, bool) {
	s, ok := w.scalar(n, name)
	if !ok {
		return 0, false
	}
	d, err := time.ParseDuration(s.Value)
	if err != nil {
		if _, numErr := strconv.ParseFloat(s.Value, 64); numErr == nil && s.Value != "0" {
			w.at(s, "%s needs a unit, for example %ss", name, s.Value)
		} else {
			w.at(s, "%s must be a duration like 20s or 1m30s, not %s", name, describe(s))
		}
		return 0, false
	}
	if d < lo || d > hi {
		w.at(s, "%s must be %s..%s, not %s", name, fmtDuration(lo), fmtDuration(hi), s.Value)
		return 0, false
	}
	return d, true
}

// fmtDuration prints whole hours and minutes without the trailing zero units
// of time.Duration.String ("24h" rather than "24h0m0s").
func fmtDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// list returns the items of a sequence node, or reports it.
func (w *walker) list(n *yaml.Node, name string) ([]*yaml.Node, bool) {
	n = w.resolve(n)
	if n == nil {
		return nil, false
	}
	if n.Kind != yaml.SequenceNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return nil, true
		}
		w.at(n, "%s must be a list, not %s", name, describe(n))
		return nil, false
	}
	return n.Content, true
}

// rate reads a request rate: a number (per second) or "N/s", "N/m", "N/min",
// "N/h", in (0, maxRate].
func (w *walker) rate(n *yaml.Node, name string) (Rate, bool) {
	s, ok := w.scalar(n, name)
	if !ok {
		return 0, false
	}
	r, err := ParseRate(s.Value)
	switch {
	case err != nil && name == "rate":
		w.at(s, "%v", err)
	case err != nil:
		w.at(s, "%s: %v", name, err)
	}
	if err != nil {
		return 0, false
	}
	return r, true
}

// isFinitePositive reports whether f is a usable positive number.
func isFinitePositive(f float64) bool { return f > 0 && !math.IsInf(f, 0) && !math.IsNaN(f) }
