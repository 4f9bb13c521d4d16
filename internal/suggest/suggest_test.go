package suggest

import (
	"strings"
	"testing"
)

func TestDistance(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{"equal", "users", "users", 0},
		{"empty to word", "", "map", 3},
		{"one insertion", "usrs", "users", 1},
		{"one substitution", "eror", "errr", 1},
		{"transposition is two", "pcik", "pick", 2},
		{"runes, not bytes", "nàme", "name", 1},
		{"unrelated", "base", "name", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Distance(tt.a, tt.b); got != tt.want {
				t.Errorf("Distance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
			}
			if got := Distance(tt.b, tt.a); got != tt.want {
				t.Errorf("Distance(%q, %q) = %d, want %d (symmetric)", tt.b, tt.a, got, tt.want)
			}
		})
	}
}

func TestClosest(t *testing.T) {
	fields := []string{"name", "users", "duration", "steps", "at", "do"}
	tests := []struct {
		name       string
		word       string
		candidates []string
		maxEdits   int
		want       string
		wantOK     bool
	}{
		{"one slip", "userz", fields, 2, "users", true},
		{"too far", "basis", fields, 1, "", false},
		{"first of equals wins", "sx", []string{"ax", "bx"}, 1, "ax", true},
		{"nearest beats earlier", "steps", []string{"stops", "steps"}, 2, "steps", true},
		{"a candidate that shares nothing", "x", []string{"y"}, 2, "", false},
		{"no candidates", "users", nil, 2, "", false},
		{"long words are never typos", strings.Repeat("a", MaxLen+1), []string{strings.Repeat("a", MaxLen)}, 2, "", false},
		{"long candidates are skipped", strings.Repeat("a", MaxLen), []string{strings.Repeat("a", MaxLen+1), strings.Repeat("a", MaxLen-1)}, 2, strings.Repeat("a", MaxLen-1), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Closest(tt.word, tt.candidates, tt.maxEdits)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Closest(%q, %q, %d) = %q, %v; want %q, %v", tt.word, tt.candidates, tt.maxEdits, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
