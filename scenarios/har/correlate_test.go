package har

import (
	"testing"

	"github.com/tidwall/gjson"
)

func TestGJSONEscape(t *testing.T) {
	for _, key := range []string{"token", "a.b", "x-y:z_1", "@this", "#", "a*b?c", `back\slash`, "sp ace", "ünï", "a|b", "!x", ""} {
		if got, want := gjsonEscape(key), gjson.Escape(key); got != want {
			t.Errorf("gjsonEscape(%q) = %q, want %q", key, got, want)
		}
	}
}

// FuzzJSONTokenPaths checks that the path of every value jsonTokens finds
// leads gjson back to that value.
func FuzzJSONTokenPaths(f *testing.F) {
	f.Add(`{"token":"eyJhbGciOiJIUzI1NiJ9.abcdefghijklmnop.qrstuvwxyz012345"}`)
	f.Add(`{"data": {"items": [{"csrfToken": "c5rf0000aaaa1111"}], "x.y": "k3y.with.dots.123456", "a*b": {"@id": "abc123456789"}}}`)
	f.Add(`[{"id": "abc123456789"}, {"": "abc123456789x"}, {"#": ["abc123456789y"]}]`)
	f.Fuzz(func(t *testing.T, text string) {
		for _, tk := range jsonTokens(Content{Text: text}) {
			if got := gjson.Get(text, tk.arg); got.String() != tk.value || got.Type != gjson.String {
				t.Errorf("path %q gives %q, want %q", tk.arg, got.String(), tk.value)
			}
		}
	})
}
