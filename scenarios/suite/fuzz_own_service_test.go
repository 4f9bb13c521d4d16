package suite

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{
		"", "/plain", "vu-{{user}}", "{{ row.e-mail }}:{{tok_1}}!", "{{user}}}", "{a} }} {{",
		"ab{{user", "{{{user}}}", "{{row.}}", `{"email":"{{row.email}}","n":1}`, "/x?q={{ q }}&u={{user}}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tmpl, err := ParseTemplate(s)
		if err != nil {
			if !strings.Contains(err.Error(), " at byte ") {
				t.Fatalf("ParseTemplate(%q) error %q does not say where", s, err)
			}
			return
		}
		if len(tmpl.Parts) != len(tmpl.Holes)+1 {
			t.Fatalf("ParseTemplate(%q): %d parts for %d holes", s, len(tmpl.Parts), len(tmpl.Holes))
		}
		var b strings.Builder
		for i, h := range tmpl.Holes {
			b.WriteString(tmpl.Parts[i])
			b.WriteString(h.String())
		}
		b.WriteString(tmpl.Parts[len(tmpl.Holes)])
		again, err := ParseTemplate(b.String())
		if err != nil {
			t.Fatalf("ParseTemplate(%q) = %+v, written again as %q: %v", s, tmpl, b.String(), err)
		}
		if !reflect.DeepEqual(again, tmpl) {
			t.Fatalf("ParseTemplate(%q) = %+v, written again as %q parses to %+v", s, tmpl, b.String(), again)
		}
	})
}

// checkRows checks what readCSVRows or readJSONRows returned: problems
// with positions in the file, or fields that can name fields and rows of
// as many values.
func checkRows(t *testing.T, path string, fields []string, rows [][]string, problems []Problem) {
	t.Helper()
	for _, p := range problems {
		if p.File != path || p.Line < 1 || p.Column < 1 || p.Msg == "" {
			t.Fatalf("problem without a place: %+v", p)
		}
	}
	if len(problems) > 0 {
		return
	}
	if len(fields) > MaxDataFields || len(rows) > MaxDataRows {
		t.Fatalf("%d fields and %d rows, beyond the limits", len(fields), len(rows))
	}
	for i, name := range fields {
		if !validFieldName(name) || slices.Contains(fields[:i], name) {
			t.Fatalf("fields %q: %q cannot name a field", fields, name)
		}
	}
	for i, row := range rows {
		if len(row) != len(fields) {
			t.Fatalf("row %d has %d values for %d fields %q", i+1, len(row), len(fields), fields)
		}
	}
}

func FuzzReadCSVRows(f *testing.F) {
	for _, s := range []string{
		"", "email,pw\na@x,1\n", "\ufeffemail,pw\r\na,b\r\n", "\ufeff\"email\",pw\n\"a\",\"b,c\"\n",
		"email,pw\na,b\nc\n", "email,pw\na,b\"c\n", "email,pw\na,\"b\n", "id,bad name\n1,2\n",
		"id,name,id\n", "\n\nid,id\n1,2\n", "a\n\"x\ny\"\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fields, rows, problems := readCSVRows("f.csv", raw)
		checkRows(t, "f.csv", fields, rows, problems)
	})
}

func FuzzReadJSONRows(f *testing.F) {
	for _, s := range []string{
		"", "[]", `[{"a": "x", "b": 1.50, "c": true, "d": null}]`, "[\n  {\"email\": \"a\"},\n  {\"email\": x}\n]\n",
		"[\n  {\"a\": 1, \"b\": 2},\n  {\"a\": 3}\n]", `[{"a": {"x": 1}}]`, `{"a": 1}`, "[{\"a\": 1}]\n[{\"a\": 2}]",
		`[{"a": 1} {"a": 2}]`, `[{"a": 1}, 5]`, `[{}]`, `[null, {"a": 1}]`, `[{"a b": 1}]`, `[{"a": 1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		fields, rows, problems := readJSONRows("f.json", raw)
		checkRows(t, "f.json", fields, rows, problems)
	})
}
