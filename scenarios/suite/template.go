package suite

import (
	"fmt"
	"strings"
)

// HoleKind says what fills a template's placeholder.
type HoleKind uint8

const (
	// HoleUser is {{user}}: the virtual user's id.
	HoleUser HoleKind = iota + 1
	// HoleRow is {{row.FIELD}}: a field of the user's data row.
	HoleRow
	// HoleVar is {{NAME}}: a user variable an earlier step extracted.
	HoleVar
)

// Hole is one placeholder of a template.
type Hole struct {
	Kind HoleKind
	// Name is the row field or the variable; "" for HoleUser.
	Name string
}

// String writes the hole as a suite writes it.
func (h Hole) String() string {
	switch h.Kind {
	case HoleUser:
		return Placeholder
	case HoleRow:
		return "{{row." + h.Name + "}}"
	default:
		return "{{" + h.Name + "}}"
	}
}

// Template is text with placeholders: Parts[i] comes before Holes[i], and
// the last part after the last hole, so len(Parts) == len(Holes)+1.
type Template struct {
	Parts []string
	Holes []Hole
}

// ParseTemplate splits s at its placeholders: {{user}}, {{row.FIELD}} and
// {{NAME}}, spaces inside the braces allowed. Any other {{ is an error
// that says where it is (a byte offset into s).
func ParseTemplate(s string) (Template, error) {
	var t Template
	rest, offset := s, 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			t.Parts = append(t.Parts, rest)
			return t, nil
		}
		end := strings.Index(rest[i:], "}}")
		if end < 0 {
			return Template{}, fmt.Errorf("unclosed {{ at byte %d", offset+i+1)
		}
		inner := strings.TrimSpace(rest[i+2 : i+end])
		h, err := parseHole(inner)
		if err != nil {
			return Template{}, fmt.Errorf("placeholder {{%s}} at byte %d: %w", truncate(inner, 30), offset+i+1, err)
		}
		t.Parts = append(t.Parts, rest[:i])
		t.Holes = append(t.Holes, h)
		offset += i + end + 2
		rest = rest[i+end+2:]
	}
}

func parseHole(inner string) (Hole, error) {
	if inner == "user" {
		return Hole{Kind: HoleUser}, nil
	}
	if field, ok := strings.CutPrefix(inner, "row."); ok {
		if !validFieldName(field) {
			return Hole{}, fmt.Errorf("%q is not a data field name (letters, digits, _ and -)", field)
		}
		return Hole{Kind: HoleRow, Name: field}, nil
	}
	if !ValidVarName(inner) {
		return Hole{}, fmt.Errorf("want {{user}}, {{row.FIELD}} or {{NAME}} of a variable an earlier step extracts")
	}
	return Hole{Kind: HoleVar, Name: inner}, nil
}

// ValidVarName reports whether s can name a user variable: letters, digits
// and _, not starting with a digit, and not user or row.
func ValidVarName(s string) bool {
	return s != "user" && s != "row" && validEnvName(s)
}

// validFieldName reports whether s can name a data field.
func validFieldName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		switch {
		case r == '_', r == '-', 'A' <= r && r <= 'Z', 'a' <= r && r <= 'z', '0' <= r && r <= '9':
		default:
			return false
		}
	}
	return true
}
