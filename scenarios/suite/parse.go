package suite

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"loadharness"
)

// Parse reads and validates a suite. filename is used in messages only. When
// anything is wrong it returns a *SuiteError listing every problem, each with
// its line and column.
func Parse(filename string, data []byte) (*Suite, error) {
	w := &walker{file: filename}
	s := w.suite(data)
	if len(w.problems) > 0 {
		slices.SortStableFunc(w.problems, func(a, b Problem) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
		})
		return nil, &SuiteError{Problems: w.problems}
	}
	s.Digest = Digest(data)
	return s, nil
}

// Digest names a suite file's exact content, "sha256:" and the hex of its
// SHA-256: a sign-off report carries it, so that two runs can be shown to
// have run the same suite, byte for byte.
func Digest(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// yamlLine finds the line number in a yaml.v3 syntax error.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// document parses data as exactly one YAML document and returns its root.
func (w *walker) document(data []byte) (root *yaml.Node) {
	if len(data) > maxSuiteBytes {
		w.atPos(1, 1, fmt.Sprintf("suite file is larger than %d bytes", maxSuiteBytes))
		return nil
	}
	// yaml.v3 has panicked on malformed input before (CVE-2022-28948); a suite
	// file must end in a message, never in a crash of the harness.
	defer func() {
		if r := recover(); r != nil {
			w.atPos(1, 1, fmt.Sprintf("YAML parser failed: %v", r))
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			w.atPos(1, 1, "the suite file is empty")
		} else {
			w.yamlError(err)
		}
		return nil
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case err == nil:
		w.at(&extra, "a suite file holds one YAML document; remove this second one")
	case !errors.Is(err, io.EOF):
		w.yamlError(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		w.atPos(1, 1, "the suite file is empty")
		return nil
	}
	return doc.Content[0]
}

// yamlError turns a yaml.v3 syntax error into a problem on its line.
func (w *walker) yamlError(err error) {
	msg := err.Error()
	line := 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			line = n
		}
		msg = msg[len(m[0]):]
	}
	w.atPos(line, 1, "YAML: "+strings.TrimPrefix(msg, "yaml: "))
}

// suite reads the root mapping.
func (w *walker) suite(data []byte) *Suite {
	root := w.document(data)
	if root == nil {
		return nil
	}
	w.expandEnv(root)
	s := &Suite{File: w.file, Stack: loadharness.DefaultStackShape, Session: DefaultSessionProbe,
		Abort: DefaultAbortRule, Limits: DefaultLimits}
	var scenarios *yaml.Node
	seen := w.mapping(root, "the suite", []field{
		{"name", func(v *yaml.Node) { s.Name, _ = w.name(v, "name") }},
		{"description", func(v *yaml.Node) { s.Description, _ = w.str(v, "description") }},
		{"stack", func(v *yaml.Node) { w.stack(v, &s.Stack) }},
		{"session", func(v *yaml.Node) { w.session(v, &s.Session) }},
		{"gates", func(v *yaml.Node) { s.Gates = w.gates(v) }},
		{"scenarios", func(v *yaml.Node) { scenarios = v }},
		{"abort", func(v *yaml.Node) { w.abort(v, &s.Abort) }},
		{"limits", func(v *yaml.Node) { w.limits(v, &s.Limits) }},
		{"tls", func(v *yaml.Node) { w.tls(v, &s.TLS) }},
	})
	w.require(root, "the suite", seen, "name", "scenarios")
	// Scenarios are read last: their checks depend on the session probe and
	// their actions on the stack, whichever order the file gives them in.
	if scenarios != nil {
		s.Scenarios = w.scenarios(scenarios, s)
	}
	w.checkGateSteps(s)
	w.checkLimits(s)
	// A session gate no step can answer is wrong whatever runs it; a gate
	// on the target's metrics depends on the run (see Unmeasurable).
	for _, p := range s.Unmeasurable(true) {
		w.atPos(p.Line, p.Column, p.Msg) // redacted: a scenario's name may hold a secret
	}

	s.Secrets = w.secrets
	return s
}

// checkGateSteps checks that a gate restricted to a step names one: one of
// its scenario's steps, or for a suite gate, a step of some scenario.
func (w *walker) checkGateSteps(s *Suite) {
	known := func(sc *Scenario, step string) bool {
		return slices.Contains(sc.StepNames(), step)
	}
	for _, g := range s.Gates {
		if g.Gate.Step == "" || len(s.Scenarios) == 0 {
			continue
		}
		found := false
		for _, sc := range s.Scenarios {
			found = found || known(sc, g.Gate.Step)
		}
		if !found {
			w.atPos(g.Pos.Line, g.Pos.Column, fmt.Sprintf("gate %q: no scenario has a step %q", g.Text, g.Gate.Step))
		}
	}
	for _, sc := range s.Scenarios {
		for _, g := range sc.Gates[len(s.Gates):] {
			if g.Gate.Step != "" && !known(sc, g.Gate.Step) {
				w.atPos(g.Pos.Line, g.Pos.Column, fmt.Sprintf("gate %q: scenario %q has no step %q (steps: %s)",
					g.Text, sc.Name, g.Gate.Step, strings.Join(sc.StepNames(), ", ")))
			}
		}
	}
}

// name reads a name used in file names and results: 1..64 letters, digits,
// '.', '_' or '-'.
func (w *walker) name(n *yaml.Node, what string) (string, bool) {
	s, ok := w.scalar(n, what)
	if !ok {
		return "", false
	}
	if !validName(s.Value) {
		w.at(s, "%s must be 1..64 letters, digits, '.', '_' or '-', not %s", what, describe(s))
		return "", false
	}
	return s.Value, true
}

// validName reports whether s may name a suite, scenario or step.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// gates reads a list of gate texts.
func (w *walker) gates(n *yaml.Node) []GateSpec {
	items, ok := w.list(n, "gates")
	if !ok {
		return nil
	}
	var gates []GateSpec
	for _, item := range items {
		s, ok := w.scalar(item, "a gate")
		if !ok {
			continue
		}
		pos := w.pos(s)
		if s.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
			pos.Column++ // the text starts after the quote
		}
		g, col, msg, ok := parseGate(s.Value)
		if !ok {
			w.atPos(pos.Line, pos.Column+max(col, 1)-1, "gate: "+msg)
			continue
		}
		gates = append(gates, GateSpec{Text: s.Value, Pos: pos, Gate: g})
	}
	return gates
}
