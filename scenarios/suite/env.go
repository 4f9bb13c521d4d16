package suite

import (
	"os"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// MinSecretLen is the shortest environment value that is redacted: a
// shorter one (a user count, a flag) would turn every occurrence of a digit
// or a letter in every output into "[redacted]". Such values are still
// substituted; docs/own-service.md says they are not treated as secrets.
const MinSecretLen = 4

// expandEnv replaces ${NAME} and ${NAME:-default} in every scalar value of
// the tree with the environment variable NAME, and $${ with a literal ${.
// Mapping keys are field names and are left alone. Every value taken from
// the environment is remembered as a secret, for redaction.
func (w *walker) expandEnv(n *yaml.Node) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			w.expandEnv(c)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			w.expandEnv(n.Content[i])
		}
	case yaml.ScalarNode:
		if strings.Contains(n.Value, "${") {
			before := len(w.problems)
			n.Value = w.substitute(n, n.Value)
			if n.Style == 0 && len(w.problems) == before {
				// A plain scalar is typed by its text, as if the value had
				// been written in place: users: ${USERS} is a number. A
				// quoted or tagged one keeps its type.
				n.Tag = (&yaml.Node{Kind: yaml.ScalarNode, Value: n.Value}).ShortTag()
			}
		}
	}
	// Aliases point at nodes expanded where they were defined.
}

// substitute expands the references in s, which is n's value.
func (w *walker) substitute(n *yaml.Node, s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		if i > 0 && s[i-1] == '$' {
			// $${ is a literal ${.
			b.WriteString(s[:i-1])
			b.WriteString("${")
			s = s[i+2:]
			continue
		}
		b.WriteString(s[:i])
		end := strings.IndexByte(s[i:], '}')
		if end < 0 {
			w.at(n, "unclosed ${ in %q: write ${NAME} or ${NAME:-default} (or $${ for a literal ${)", truncate(s[i:], 40))
			return b.String()
		}
		ref := s[i+2 : i+end]
		s = s[i+end+1:]
		name, def, hasDef := strings.Cut(ref, ":-")
		if !validEnvName(name) {
			w.at(n, "${%s}: %q is not an environment variable name (letters, digits and _, not starting with a digit)", truncate(ref, 40), truncate(name, 40))
			continue
		}
		v, set := os.LookupEnv(name)
		switch {
		case set && v != "":
			b.WriteString(v)
			if len(v) >= MinSecretLen && !slices.Contains(w.secrets, v) {
				w.secrets = append(w.secrets, v)
				// Longest first: a secret that holds another (a token made
				// of the user name) is redacted whole, not around the other.
				slices.SortStableFunc(w.secrets, func(a, b string) int { return len(b) - len(a) })
			}
		case hasDef:
			b.WriteString(def)
		default:
			w.at(n, "environment variable %s is not set (give a default with ${%s:-value})", name, name)
		}
	}
}

// validEnvName reports whether s is a POSIX shell variable name.
func validEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z':
		case '0' <= r && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}
