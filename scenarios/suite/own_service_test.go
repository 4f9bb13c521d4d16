package suite

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// mustParse parses src as the suite file path and fails the test on a
// problem.
func mustParse(tb testing.TB, path, src string) *Suite {
	tb.Helper()
	s, err := Parse(path, []byte(src))
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return s
}

// problemLines parses src as the suite file path and returns its problems
// as "file:line:column: message", nil when it parses.
func problemLines(tb testing.TB, path, src string) []string {
	tb.Helper()
	_, err := Parse(path, []byte(src))
	if err == nil {
		return nil
	}
	var se *SuiteError
	if !errors.As(err, &se) {
		tb.Fatalf("err = %v, want a *SuiteError", err)
	}
	return strings.Split(se.Error(), "\n")
}

// checkLines reports the difference between problem lists.
func checkLines(tb testing.TB, got, want []string) {
	tb.Helper()
	if !slices.Equal(got, want) {
		tb.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// writeFiles writes name → content into dir.
func writeFiles(tb testing.TB, dir string, files map[string]string) {
	tb.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
}

// stepSuite is a suite of one scenario of one step, x at GET /x, with
// fields added to the step: each line of fields is indented to the step's
// keys, the first on line 9.
func stepSuite(fields ...string) string {
	var b strings.Builder
	b.WriteString("name: s\nscenarios:\n  - name: a\n    users: 1\n    duration: 1s\n    steps:\n      - name: x\n        path: /x\n")
	for _, f := range fields {
		b.WriteString("        " + f + "\n")
	}
	return b.String()
}

func TestEnvSubstitution(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		value string // the suite's description, written plain
		want  string
	}{
		{"set", map[string]string{"LT_A": "alpha"}, "${LT_A}", "alpha"},
		{"inside text", map[string]string{"LT_A": "alpha"}, "x-${LT_A}-y", "x-alpha-y"},
		{"two", map[string]string{"LT_A": "alpha", "LT_B": "beta"}, "${LT_A}/${LT_B}", "alpha/beta"},
		{"default when unset", nil, "${LT_UNSET:-fallback}", "fallback"},
		{"default when empty", map[string]string{"LT_A": ""}, "${LT_A:-fallback}", "fallback"},
		{"set beats the default", map[string]string{"LT_A": "alpha"}, "${LT_A:-fallback}", "alpha"},
		{"empty default", nil, "a${LT_UNSET:-}b", "ab"},
		{"default holding :-", nil, "${LT_UNSET:-a:-b}", "a:-b"},
		{"default ends at the first }", nil, "${LT_UNSET:-a}b}", "ab}"},
		{"literal", map[string]string{"LT_A": "alpha"}, "$${LT_A}", "${LT_A}"},
		{"literal then a variable", map[string]string{"LT_A": "alpha"}, "$${LT_A}-${LT_A}", "${LT_A}-alpha"},
		{"a value is not expanded again", map[string]string{"LT_A": "${LT_B}", "LT_B": "beta"}, "${LT_A}", "${LT_B}"},
		{"no braces", map[string]string{"LT_A": "alpha"}, "$LT_A and $$", "$LT_A and $$"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			s := mustParse(t, "t.yaml", "name: s\ndescription: "+tt.value+"\nscenarios: [{name: a, users: 1, duration: 1s, steps: [map]}]\n")
			if got, want := s.Description, tt.want; got != want {
				t.Errorf("description %q, want %q", got, want)
			}
		})
	}
}

// TestEnvTypes: a plain ${NAME} takes the type its value has, as if it had
// been written in its place; a quoted one stays a string.
func TestEnvTypes(t *testing.T) {
	t.Setenv("LT_USERS", "7")
	t.Setenv("LT_PW", "12345")
	t.Setenv("LT_YES", "true")
	src := `name: s
scenarios:
  - name: a
    users: ${LT_USERS}
    duration: ${LT_DUR:-2s}
    steps:
      - name: x
        path: /x
        capture: ${LT_YES}
        json:
          plain: ${LT_PW}
          quoted: "${LT_PW}"
`
	s := mustParse(t, "t.yaml", src)
	sc := s.Scenarios[0]
	if got, want := sc.Users, 7; got != want {
		t.Errorf("users %d, want %d", got, want)
	}
	if got, want := sc.Duration, 2*time.Second; got != want {
		t.Errorf("duration %s, want %s", got, want)
	}
	st := sc.Steps[0]
	if !st.Capture {
		t.Error("capture: ${LT_YES} with LT_YES=true is false")
	}
	if got, want := st.Body, `{"plain":12345,"quoted":"12345"}`; got != want {
		t.Errorf("json body %s, want %s", got, want)
	}
}

func TestEnvSecrets(t *testing.T) {
	t.Setenv("LT_PASSWORD", "hunter22")
	t.Setenv("LT_SHORT", "abc")
	t.Setenv("LT_FOUR", "abcd")
	t.Setenv("LT_TWICE", "hunter22")
	src := `name: s
description: ${LT_PASSWORD} ${LT_SHORT} ${LT_FOUR} ${LT_TWICE} ${LT_UNSET:-a-long-default}
scenarios: [{name: a, users: 1, duration: 1s, steps: [map]}]
`
	s := mustParse(t, "t.yaml", src)
	// Longest first, so that a secret holding another is redacted whole.
	if got, want := s.Secrets, []string{"hunter22", "abcd"}; !slices.Equal(got, want) {
		t.Errorf("secrets %q, want %q (>= %d characters, from the environment only, once each)", got, want, MinSecretLen)
	}
	if got, want := s.Redact(s.Description), "[redacted] abc [redacted] [redacted] a-long-default"; got != want {
		t.Errorf("Redact(description) = %q, want %q", got, want)
	}
}

func TestEnvProblems(t *testing.T) {
	const head = "name: s\nscenarios:\n  - name: a\n    duration: 1s\n    steps: [map]\n"
	tests := []struct {
		name string
		env  map[string]string
		src  string
		want []string
	}{
		{"unset", nil, head + "    description: x ${LT_NOPE} y\n    users: 1\n", []string{
			`t.yaml:6:18: environment variable LT_NOPE is not set (give a default with ${LT_NOPE:-value})`,
		}},
		{"unset, quoted", nil, head + "    users: 1\n    description: \"${LT_NOPE}\"\n", []string{
			`t.yaml:7:18: environment variable LT_NOPE is not set (give a default with ${LT_NOPE:-value})`,
		}},
		{"unset and empty", map[string]string{"LT_EMPTY": ""}, head + "    users: 1\n    description: ${LT_EMPTY}\n", []string{
			`t.yaml:7:18: environment variable LT_EMPTY is not set (give a default with ${LT_EMPTY:-value})`,
		}},
		{"bad names", nil, head + "    users: 1\n    description: ${1A} ${A-B} ${}\n", []string{
			`t.yaml:7:18: ${1A}: "1A" is not an environment variable name (letters, digits and _, not starting with a digit)`,
			`t.yaml:7:18: ${A-B}: "A-B" is not an environment variable name (letters, digits and _, not starting with a digit)`,
			`t.yaml:7:18: ${}: "" is not an environment variable name (letters, digits and _, not starting with a digit)`,
		}},
		{"unclosed", nil, head + "    users: 1\n    description: a ${LT_A\n", []string{
			`t.yaml:7:18: unclosed ${ in "${LT_A": write ${NAME} or ${NAME:-default} (or $${ for a literal ${)`,
		}},
		{"keys are not expanded", map[string]string{"LT_K": "users"}, head + "    users: 1\n    ${LT_K}: 2\n", []string{
			`t.yaml:7:5: unknown field "${LT_K}" in scenario`,
		}},
		{"a short value is no secret", map[string]string{"LT_N": "abc"}, head + "    users: ${LT_N}\n", []string{
			`t.yaml:6:12: users must be a whole number, not "abc"`,
		}},
		{"a secret in a later problem", map[string]string{"LT_N": "notanumber1234"}, head + "    users: ${LT_N}\n", []string{
			`t.yaml:6:12: users must be a whole number, not "[redacted]"`,
		}},
		{"a secret inside a value", map[string]string{"LT_N": "notanumber1234"}, head + "    users: 1${LT_N}2\n", []string{
			`t.yaml:6:12: users must be a whole number, not "1[redacted]2"`,
		}},
		{"a secret needing quotes", map[string]string{"LT_N": `pa"ss\word`}, head + "    users: ${LT_N}\n", []string{
			`t.yaml:6:12: users must be a whole number, not "[redacted]"`,
		}},
		{"a secret cut short", map[string]string{"LT_N": strings.Repeat("s3cret", 10)}, head + "    users: ${LT_N}\n", []string{
			`t.yaml:6:12: users must be a whole number, not "[redacted]…"`,
		}},
		{"a secret cut short after text", map[string]string{"LT_N": strings.Repeat("s3cret", 10)}, head + "    users: abcdefghijklmnopqrstuvwxyz-0123456789-${LT_N}\n", []string{
			`t.yaml:6:12: users must be a whole number, not "abcdefghijklmnopqrstuvwxyz-0123456789-[redacted]…"`,
		}},
		{"a secret cut inside a character", map[string]string{"LT_N": "a" + strings.Repeat("é", 30)}, head + "    users: ${LT_N}\n", []string{
			`t.yaml:6:12: users must be a whole number, not "[redacted]…"`,
		}},
		{"a secret holding another", map[string]string{"LT_USER": "alice", "LT_TOKEN": "alice-token-1234"}, head + "    description: ${LT_USER}\n    users: ${LT_TOKEN}\n", []string{
			`t.yaml:7:12: users must be a whole number, not "[redacted]"`,
		}},
		{"a secret in a gate no step can measure", map[string]string{"LT_STAGE": "staging"}, "name: s\nscenarios:\n  - name: a-${LT_STAGE}\n    users: 1\n    duration: 1s\n    steps: [map]\n    gates: [sessions_lost == 0]\n", []string{
			`t.yaml:7:13: gate "sessions_lost == 0" cannot be measured: scenario "a-[redacted]" has no step that captures a data set (capture: true) and none that checks the session (expect: {session: true}); remove the gate`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			got := problemLines(t, "t.yaml", tt.src)
			checkLines(t, got, tt.want)
			for _, v := range tt.env {
				if len(v) < MinSecretLen {
					continue
				}
				text := strings.Join(got, "\n")
				for _, leak := range []string{v, v[:MinSecretLen], strings.Trim(strconv.Quote(v), `"`)} {
					if strings.Contains(text, leak) {
						t.Errorf("problems quote %q of the secret %q:\n%s", leak, v, text)
					}
				}
			}
		})
	}
}

func TestParseTemplate(t *testing.T) {
	tests := []struct {
		name, in string
		want     Template
		wantErr  string
	}{
		{name: "constant", in: "/plain", want: Template{Parts: []string{"/plain"}}},
		{name: "empty", in: "", want: Template{Parts: []string{""}}},
		{name: "user", in: "vu-{{user}}", want: Template{Parts: []string{"vu-", ""}, Holes: []Hole{{Kind: HoleUser}}}},
		{name: "row, var and spaces", in: "{{ row.e-mail }}:{{tok_1}}!", want: Template{
			Parts: []string{"", ":", "!"}, Holes: []Hole{{Kind: HoleRow, Name: "e-mail"}, {Kind: HoleVar, Name: "tok_1"}}}},
		{name: "single braces", in: "{a} {user} }}", want: Template{Parts: []string{"{a} {user} }}"}}},
		{name: "closing braces after", in: "{{user}}}", want: Template{Parts: []string{"", "}"}, Holes: []Hole{{Kind: HoleUser}}}},
		{name: "unclosed", in: "ab{{user", wantErr: "unclosed {{ at byte 3"},
		{name: "unclosed after a hole", in: "{{user}}{{", wantErr: "unclosed {{ at byte 9"},
		{name: "empty hole", in: "x{{}}", wantErr: "placeholder {{}} at byte 2: want {{user}}, {{row.FIELD}} or {{NAME}} of a variable an earlier step extracts"},
		{name: "bad var", in: "{{1x}}", wantErr: "placeholder {{1x}} at byte 1: want {{user}}, {{row.FIELD}} or {{NAME}} of a variable an earlier step extracts"},
		{name: "row alone", in: "{{row}}", wantErr: "placeholder {{row}} at byte 1: want {{user}}, {{row.FIELD}} or {{NAME}} of a variable an earlier step extracts"},
		{name: "bad field", in: "{{row.a b}}", wantErr: `placeholder {{row.a b}} at byte 1: "a b" is not a data field name (letters, digits, _ and -)`},
		{name: "empty field", in: "{{row.}}", wantErr: `placeholder {{row.}} at byte 1: "" is not a data field name (letters, digits, _ and -)`},
		{name: "triple braces", in: "{{{user}}}", wantErr: "placeholder {{{user}} at byte 1: want {{user}}, {{row.FIELD}} or {{NAME}} of a variable an earlier step extracts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTemplate(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("ParseTemplate(%q) err = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseTemplate(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseStepFields(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"body.txt": "hello {{user}}",
		"up.csv":   "a,b\n1,2\n",
	})
	src := `name: s
scenarios:
  - name: a
    users: 1
    duration: 1s
    data: {file: d.csv}
    steps:
      - name: x
        method: POST
        path: /x
        json: {email: "{{row.email}}", n: 1, ok: true, list: [a, 2], nested: {k: v}, when: 2024-01-02, none: null}
        timeout: 250ms
        extract:
          tok: {json: data.items.0.id}
          loc: {header: Location}
          sid: {cookie: sid}
          csrf: {regex: 'name="csrf" value="([^"]+)"'}
        checks:
          - {json: status, equals: accepted}
          - {json: id, exists: true}
          - {json: error, exists: false}
          - {json: id, matches: '^[0-9]+$'}
          - {header: Content-Type, equals: application/json}
          - {body_size: {min: 2, max: 10000}}
          - {body_size: {max: 5}}
          - {latency: 500ms}
          - {name: has-id, json: id, exists: true}
      - name: y
        path: /y/{{tok}}
        body_file: body.txt
      - name: z
        path: /z
        multipart: {note: "hi {{user}}", file: "@up.csv"}
`
	writeFiles(t, dir, map[string]string{"d.csv": "email\na@x.example\n"})
	s := mustParse(t, filepath.Join(dir, "s.yaml"), src)
	steps := s.Scenarios[0].Steps
	if len(steps) != 3 {
		t.Fatalf("%d steps, want 3", len(steps))
	}
	x, y, z := steps[0], steps[1], steps[2]
	if got, want := x.Body, `{"email":"{{row.email}}","list":["a",2],"n":1,"nested":{"k":"v"},"none":null,"ok":true,"when":"2024-01-02"}`; got != want || !x.BodyJSON {
		t.Errorf("json body %s (BodyJSON %v), want %s", got, x.BodyJSON, want)
	}
	if got, want := x.Timeout, 250*time.Millisecond; got != want {
		t.Errorf("timeout %s, want %s", got, want)
	}
	var gotExtract []string
	for _, e := range x.Extract {
		gotExtract = append(gotExtract, e.Name+" "+e.From+" "+e.Expr)
		if (e.Regex != nil) != (e.From == FromRegex) {
			t.Errorf("extract %s: Regex %v", e.Name, e.Regex)
		}
	}
	wantExtract := []string{"tok json data.items.0.id", "loc header Location", "sid cookie sid", `csrf regex name="csrf" value="([^"]+)"`}
	if !slices.Equal(gotExtract, wantExtract) {
		t.Errorf("extract %q, want %q", gotExtract, wantExtract)
	}
	var gotChecks []string
	for _, c := range x.Checks {
		gotChecks = append(gotChecks, c.Name)
	}
	wantChecks := []string{
		"json status equals accepted", "json id exists", "json error absent", "json id matches ^[0-9]+$",
		"header Content-Type equals application/json", "body_size 2..10000", "body_size 0..5", "latency < 500ms", "has-id",
	}
	if !slices.Equal(gotChecks, wantChecks) {
		t.Errorf("check names %q, want %q", gotChecks, wantChecks)
	}
	if c := x.Checks[5]; c.Kind != CheckBodySize || c.MinBytes != 2 || c.MaxBytes != 10000 {
		t.Errorf("body_size check %+v", c)
	}
	if c := x.Checks[7]; c.Kind != CheckLatency || c.Latency != 500*time.Millisecond {
		t.Errorf("latency check %+v", c)
	}
	if c := x.Checks[3]; c.Kind != CheckJSON || c.Expr != "id" || c.Matches == nil || !c.Matches.MatchString("42") || c.Equals != nil || c.Exists != nil {
		t.Errorf("matches check %+v", c)
	}
	if c := x.Checks[2]; c.Exists == nil || *c.Exists {
		t.Errorf("exists: false check %+v", c)
	}
	if got, want := y.Body, "hello {{user}}"; got != want || y.BodyJSON {
		t.Errorf("body_file body %q (BodyJSON %v), want %q", got, y.BodyJSON, want)
	}
	wantParts := []MultipartField{{Name: "note", Value: "hi {{user}}"}, {Name: "file", Value: "a,b\n1,2\n", File: "up.csv"}}
	if !reflect.DeepEqual(z.Multipart, wantParts) {
		t.Errorf("multipart %+v, want %+v", z.Multipart, wantParts)
	}
}

func TestParseStepFieldProblems(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"bad.txt": "a {{nope\n"})
	suitePath := filepath.Join(dir, "s.yaml")
	tests := []struct {
		name   string
		fields []string
		want   []string
	}{
		{"json template", []string{`json: {a: "{{nope"}`}, []string{
			`S:9:15: unclosed {{ at byte 7`,
		}},
		{"json number", []string{`json: {a: .inf}`}, []string{
			`S:9:15: json: json: unsupported value: +Inf`,
		}},
		{"two bodies", []string{`json: {a: 1}`, `body: x`}, []string{
			`S:7:9: form, body, json, body_file, multipart and upload are alternatives: give only one`,
		}},
		{"body_file missing", []string{`body_file: nope.txt`}, []string{
			`S:9:20: body_file: open D/nope.txt: no such file or directory`,
		}},
		{"body_file template", []string{`body_file: bad.txt`}, []string{
			`S:9:20: unclosed {{ at byte 3`,
		}},
		{"body_file empty", []string{`body_file:`}, []string{
			`S:9:19: body_file needs a value`,
		}},
		{"multipart not a mapping", []string{`multipart: [a]`}, []string{
			`S:9:20: multipart must be a mapping of fields to values, not a list`,
		}},
		{"multipart file missing", []string{`multipart: {f: "@nope.csv"}`}, []string{
			`S:9:24: multipart f: open D/nope.csv: no such file or directory`,
		}},
		{"multipart value", []string{`multipart: {f: [1]}`, `timeout: 1s`}, []string{
			`S:9:24: multipart f must be a single value, not a list`,
		}},
		{"multipart template", []string{`multipart: {f: "{{1}}"}`}, []string{
			`S:9:24: placeholder {{1}} at byte 1: want {{user}}, {{row.FIELD}} or {{NAME}} of a variable an earlier step extracts`,
		}},
		{"timeout without unit", []string{`timeout: 5`}, []string{
			`S:9:18: timeout needs a unit, for example 5s`,
		}},
		{"timeout too long", []string{`timeout: 11m`}, []string{
			`S:9:18: timeout must be 1ms..10m, not 11m`,
		}},
		{"timeout zero", []string{`timeout: 0s`}, []string{
			`S:9:18: timeout must be 1ms..10m, not 0s`,
		}},
		{"extract not a mapping", []string{`extract: [tok]`}, []string{
			`S:9:18: extract must be a mapping of variable names to sources, not a list`,
		}},
		{"extract names", []string{`extract: {user: {json: a}, 1x: {json: a}, row: {json: a}}`}, []string{
			`S:9:19: "user" cannot name a variable (letters, digits and _, not starting with a digit; not user or row)`,
			`S:9:36: "1x" cannot name a variable (letters, digits and _, not starting with a digit; not user or row)`,
			`S:9:51: "row" cannot name a variable (letters, digits and _, not starting with a digit; not user or row)`,
		}},
		{"extract two sources", []string{`extract: {t: {json: a, header: B}}`}, []string{
			`S:9:22: extract t needs exactly one of json, header, cookie and regex`,
		}},
		{"extract empty path", []string{`extract: {t: {json: ""}}`}, []string{
			`S:9:22: extract t: the json to read is empty`,
		}},
		{"extract no source", []string{`extract: {t: {}}`}, []string{
			`S:9:22: extract t needs exactly one of json, header, cookie and regex`,
		}},
		{"extract typo", []string{`extract: {t: {jsn: a}}`}, []string{
			`S:9:22: extract t needs exactly one of json, header, cookie and regex`,
			`S:9:23: unknown field "jsn" in extract t (did you mean "json"?)`,
		}},
		{"extract source not a mapping", []string{`extract: {t: token}`}, []string{
			`S:9:22: extract t must be a mapping, not "token"`,
		}},
		{"extract bad regex", []string{`extract: {t: {regex: "a("}}`}, []string{
			"S:9:30: extract t: error parsing regexp: missing closing ): `a(`",
		}},
		{"checks not a list", []string{`checks: {json: a}`}, []string{
			`S:9:17: checks must be a list, not a mapping`,
		}},
		{"check without kind", []string{`checks: [{equals: a}]`}, []string{
			`S:9:18: a check needs exactly one of json, header, body_size and latency`,
		}},
		{"check with two kinds", []string{`checks: [{json: a, header: B, exists: true}]`}, []string{
			`S:9:18: a check needs exactly one of json, header, body_size and latency`,
		}},
		{"json check without condition", []string{`checks: [{json: a}]`}, []string{
			`S:9:18: a json check needs exactly one of equals, exists and matches`,
		}},
		{"header check with two conditions", []string{`checks: [{header: X-A, equals: a, exists: true}]`}, []string{
			`S:9:18: a header check needs exactly one of equals, exists and matches`,
		}},
		{"latency check with a condition", []string{`checks: [{latency: 1s, equals: a}]`}, []string{
			`S:9:18: a latency check takes no equals, exists or matches`,
		}},
		{"body_size check with a condition", []string{`checks: [{body_size: {min: 1}, exists: true}]`}, []string{
			`S:9:18: a body_size check takes no equals, exists or matches`,
		}},
		{"body_size min above max", []string{`checks: [{body_size: {min: 10, max: 5}}]`}, []string{
			`S:9:18: body_size: min 10 is above max 5`,
		}},
		{"body_size empty", []string{`checks: [{body_size: {}}]`}, []string{
			`S:9:30: body_size needs min, max or both`,
		}},
		{"body_size bounds", []string{`checks: [{body_size: {min: -1, max: 0}}]`}, []string{
			`S:9:36: min must be 0..1099511627776, not -1`,
			`S:9:45: max must be 1..1099511627776, not 0`,
		}},
		{"body_size not a mapping", []string{`checks: [{body_size: 5}]`}, []string{
			`S:9:30: body_size must be a mapping, not "5"`,
		}},
		{"bad header name", []string{`checks: [{header: "a b", exists: true}]`}, []string{
			`S:9:27: "a b" is not a valid header name`,
		}},
		{"bad matches", []string{`checks: [{json: a, matches: "("}]`}, []string{
			"S:9:37: matches: error parsing regexp: missing closing ): `(`",
		}},
		{"bad exists", []string{`checks: [{json: a, exists: maybe}]`}, []string{
			`S:9:36: exists must be true or false, not "maybe"`,
		}},
		{"latency without unit", []string{`checks: [{latency: 500}]`}, []string{
			`S:9:28: latency needs a unit, for example 500s`,
		}},
		{"check name twice", []string{`checks: [{json: id, exists: true}, {json: id, exists: true}]`}, []string{
			`S:9:44: check name "json id exists" is used twice in this step: name one with name:`,
		}},
		{"bad check name", []string{`checks: [{name: "a b", json: id, exists: true}]`}, []string{
			`S:9:25: check name must be 1..64 letters, digits, '.', '_' or '-', not "a b"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemLines(t, suitePath, stepSuite(tt.fields...))
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				w = strings.Replace(w, "S:", suitePath+":", 1)
				want[i] = strings.ReplaceAll(w, "D/", dir+string(filepath.Separator))
			}
			checkLines(t, got, want)
		})
	}
}

// dataSuite is a suite whose one scenario, of users users, reads data and
// runs steps.
func dataSuite(data string, users int, steps ...string) string {
	var b strings.Builder
	b.WriteString("name: s\nscenarios:\n  - name: a\n    users: " + strconv.Itoa(users) + "\n    duration: 1s\n    data: " + data + "\n    steps:\n")
	for _, st := range steps {
		b.WriteString("      - " + st + "\n")
	}
	return b.String()
}

func TestDataFiles(t *testing.T) {
	tests := []struct {
		name, file, content, data string
		users                     int
		wantFields                []string
		wantRows                  [][]string
		wantOrder                 string
	}{
		{name: "csv", file: "d.csv", content: "email,pw\na@x,1\nb@x,\"2,3\"\n", data: "{file: d.csv}", users: 5,
			wantFields: []string{"email", "pw"}, wantRows: [][]string{{"a@x", "1"}, {"b@x", "2,3"}}, wantOrder: OrderSequential},
		{name: "csv with a BOM", file: "d.csv", content: "\ufeffemail,pw\r\na@x,1\r\n", data: "{file: d.csv, order: unique}", users: 1,
			wantFields: []string{"email", "pw"}, wantRows: [][]string{{"a@x", "1"}}, wantOrder: OrderUnique},
		{name: "csv with a BOM and quotes", file: "d.csv", content: "\ufeff\"email\",\"pw\"\n\"a@x\",\"1\"\n", data: "{file: d.csv}", users: 1,
			wantFields: []string{"email", "pw"}, wantRows: [][]string{{"a@x", "1"}}, wantOrder: OrderSequential},
		{name: "unique with a row per user", file: "d.csv", content: "e\n1\n2\n", data: "{file: d.csv, order: unique}", users: 2,
			wantFields: []string{"e"}, wantRows: [][]string{{"1"}, {"2"}}, wantOrder: OrderUnique},
		{name: "json", file: "d.json", content: `[{"b": 1.50, "a": "x", "c": true, "d": null}, {"a": "y", "b": -2, "c": false, "d": ""}]`,
			data: "{file: d.json, order: random}", users: 5,
			wantFields: []string{"a", "b", "c", "d"}, wantRows: [][]string{{"x", "1.50", "true", ""}, {"y", "-2", "false", ""}}, wantOrder: OrderRandom},
		{name: "json file named in capitals", file: "D.JSON", content: `[{"a": "x"}]`, data: "{file: D.JSON, order: circular}", users: 1,
			wantFields: []string{"a"}, wantRows: [][]string{{"x"}}, wantOrder: OrderCircular},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{tt.file: tt.content})
			s := mustParse(t, filepath.Join(dir, "s.yaml"), dataSuite(tt.data, tt.users, "{name: x, path: /x}"))
			d := s.Scenarios[0].Data
			if d == nil {
				t.Fatal("no data")
			}
			if d.File != tt.file || d.Order != tt.wantOrder || !slices.Equal(d.Fields, tt.wantFields) || !reflect.DeepEqual(d.Rows, tt.wantRows) {
				t.Errorf("data %+v, want file %s order %s fields %q rows %q", d, tt.file, tt.wantOrder, tt.wantFields, tt.wantRows)
			}
		})
	}
}

func TestDataProblems(t *testing.T) {
	tests := []struct {
		name, file, content, data string
		users                     int
		steps                     []string
		want                      []string
	}{
		{name: "csv short row", file: "d.csv", content: "email,pw\na,b\nc\n", want: []string{
			`D/d.csv:3:1: row 2 (line 3): wrong number of fields (every row must have every field of the first line)`,
		}},
		{name: "csv long rows", file: "d.csv", content: "email,pw\na,b,c\nd,e,f\n", want: []string{
			`D/d.csv:2:1: row 1 (line 2): wrong number of fields (every row must have every field of the first line)`,
			`D/d.csv:3:1: row 2 (line 3): wrong number of fields (every row must have every field of the first line)`,
		}},
		{name: "csv bare quote", file: "d.csv", content: "email,pw\na,b\"c\n", want: []string{
			`D/d.csv:2:4: row 1 (line 2, column 4): bare " in non-quoted-field`,
		}},
		{name: "csv unterminated quote", file: "d.csv", content: "email,pw\na,\"b\n", want: []string{
			`D/d.csv:2:6: row 1 (line 2, column 6): extraneous or missing " in quoted-field`,
		}},
		{name: "csv bad header", file: "d.csv", content: "id,bad name\n1,2\n", want: []string{
			`D/d.csv:1:4: field 2: "bad name" cannot name a field (letters, digits, _ and -)`,
		}},
		{name: "csv empty header field", file: "d.csv", content: "id,,x\n1,2,3\n", want: []string{
			`D/d.csv:1:4: field 2: "" cannot name a field (letters, digits, _ and -)`,
		}},
		{name: "csv duplicate header", file: "d.csv", content: "id,name,id\n1,2,3\n", want: []string{
			`D/d.csv:1:9: field "id" is named twice`,
		}},
		{name: "csv header after blank lines", file: "d.csv", content: "\n\nid,id\n1,2\n", want: []string{
			`D/d.csv:3:4: field "id" is named twice`,
		}},
		{name: "csv empty", file: "d.csv", content: "", want: []string{
			`D/d.csv:1:1: the data file is empty: its first line must name the fields`,
		}},
		{name: "csv without rows", file: "d.csv", content: "a,b\n", want: []string{
			`S:6:18: data file d.csv has no rows`,
		}},
		{name: "json array not closed", file: "d.json", content: "[\n  {\"email\": \"a\"}\n", want: []string{
			`D/d.json:2:17: the array of rows is not closed: a ] is missing at the end`,
		}},
		{name: "json syntax error", file: "d.json", content: "[\n  {\"email\": \"a\"},\n  {\"email\": x}\n]\n", want: []string{
			`D/d.json:3:13: row 2: invalid character 'x' looking for beginning of value`,
		}},
		{name: "json syntax error in row 1", file: "d.json", content: "[\n  {\"email\" \"a\"}\n]\n", want: []string{
			`D/d.json:2:12: row 1: invalid character '"' after object key`,
		}},
		{name: "json missing comma", file: "d.json", content: "[\n  {\"a\": 1}\n  {\"a\": 2}\n]\n", want: []string{
			`D/d.json:3:3: row 2: expected comma after array element`,
		}},
		{name: "json missing field", file: "d.json", content: "[\n  {\"a\": 1, \"b\": 2},\n  {\"a\": 3}\n]\n", want: []string{
			`D/d.json:3:3: row 2 has no field "b" (every row must have the fields of the first)`,
		}},
		{name: "json extra field", file: "d.json", content: "[\n  {\"a\": 1},\n  {\"a\": 3, \"c\": 4}\n]\n", want: []string{
			`D/d.json:3:3: row 2 has field "c", which row 1 has not`,
		}},
		{name: "json nested value", file: "d.json", content: "[\n  {\"a\": 1},\n  {\"a\": {\"x\": 1}}\n]\n", want: []string{
			`D/d.json:3:3: row 2, field "a": a value must be a string, number or boolean`,
		}},
		{name: "json list value", file: "d.json", content: "[{\"a\": [1]}]", want: []string{
			`D/d.json:1:2: row 1, field "a": a value must be a string, number or boolean`,
		}},
		{name: "json row not an object", file: "d.json", content: "[\n  {\"a\": 1},\n  5\n]\n", want: []string{
			`D/d.json:3:3: row 2: json: cannot unmarshal number into Go value of type map[string]interface {}`,
		}},
		{name: "json not an array", file: "d.json", content: "\n{\"a\": 1}\n", want: []string{
			`D/d.json:2:1: a JSON data file must hold an array of objects`,
		}},
		{name: "json empty object", file: "d.json", content: "[{}]", want: []string{
			`D/d.json:1:2: row 1 must have 1..256 fields, not 0`,
		}},
		{name: "json bad field name", file: "d.json", content: "[{\"a b\": 1}]", want: []string{
			`D/d.json:1:2: row 1: "a b" cannot name a field (letters, digits, _ and -)`,
		}},
		{name: "json after the array", file: "d.json", content: "[{\"a\": 1}]\n[{\"a\": 2}]\n", want: []string{
			`D/d.json:2:1: the array of rows must end the file, not be followed by more`,
		}},
		{name: "json empty array", file: "d.json", content: "[]", want: []string{
			`S:6:18: data file d.json has no rows`,
		}},
		{name: "missing file", file: "other.csv", content: "a\n1\n", want: []string{
			`S:6:18: data file: open D/d.csv: no such file or directory`,
		}},
		{name: "no file", data: "{order: unique}", want: []string{
			`S:6:11: data needs file`,
		}},
		{name: "bad order", file: "d.csv", content: "a\n1\n", data: "{file: d.csv, order: uniq}", want: []string{
			`S:6:32: order must be one of sequential, unique, circular, random, not "uniq"`,
		}},
		{name: "unique with too few rows", file: "d.csv", content: "a\n1\n2\n", data: "{file: d.csv, order: unique}", users: 3, want: []string{
			`S:6:11: data d.csv has 2 rows for 3 users: order unique needs a row per user`,
		}},
		{name: "a field the data lacks", file: "d.csv", content: "email,pw\na,b\n", steps: []string{`{name: x, path: "/x/{{row.nope}}"}`}, want: []string{
			`S:8:25: {{row.nope}}: d.csv has no field "nope" (fields: email, pw)`,
		}},
		{name: "a field misspelt", file: "d.csv", content: "email,pw\na,b\n", steps: []string{`{name: x, path: /x, headers: {X-E: "{{row.emial}}"}}`}, want: []string{
			`S:8:44: {{row.emial}}: d.csv has no field "emial" (fields: email, pw) (did you mean "email"?)`,
		}},
		{name: "a variable nothing extracts", file: "d.csv", content: "a\n1\n", steps: []string{`{name: x, path: /x, body: "{{tok}}"}`}, want: []string{
			`S:8:35: {{tok}}: no step of scenario "a" extracts tok (extract: {tok: {json: PATH}})`,
		}},
		{name: "a variable misspelt", file: "d.csv", content: "a\n1\n", steps: []string{
			`{name: login, path: /login, extract: {token: {json: token}}}`,
			`{name: x, path: /x, json: {t: "{{tokn}}"}}`,
		}, want: []string{
			`S:9:35: {{tokn}}: no step of scenario "a" extracts tokn (extract: {tokn: {json: PATH}}) (did you mean "token"?)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.file != "" {
				writeFiles(t, dir, map[string]string{tt.file: tt.content})
			}
			data := tt.data
			if data == "" {
				data = "{file: d." + strings.TrimPrefix(filepath.Ext(tt.file), ".") + "}"
				if tt.name == "missing file" {
					data = "{file: d.csv}"
				}
			}
			steps := tt.steps
			if steps == nil {
				steps = []string{"{name: x, path: /x}"}
			}
			suitePath := filepath.Join(dir, "s.yaml")
			got := problemLines(t, suitePath, dataSuite(data, max(tt.users, 1), steps...))
			checkLines(t, got, placed(tt.want, suitePath, dir))
		})
	}
}

// TestVariablesFromAnyStep: a variable may be extracted by a setup step or
// another main step, and a row field used anywhere a template is.
func TestVariablesFromAnyStep(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"d.csv": "email,item\na,b\n"})
	src := `name: s
scenarios:
  - name: a
    users: 1
    duration: 1s
    data: {file: d.csv}
    setup:
      - {name: login, path: /login, form: {e: "{{row.email}}"}, extract: {token: {json: token}}}
    steps:
      - {name: x, path: "/x?t={{token}}", headers: {A: "Bearer {{ token }}"}, extract: {next: {header: Location}}}
      - {name: y, path: "/{{next}}/{{row.item}}", multipart: {m: "{{row.email}}"}}
`
	mustParse(t, filepath.Join(dir, "s.yaml"), src)
}

// writeCA writes a self-signed certificate as PEM to dir/name.
func writeCA(tb testing.TB, dir, name string) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "staging CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	writeFiles(tb, dir, map[string]string{name: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))})
}

func TestParseTLS(t *testing.T) {
	dir := t.TempDir()
	writeCA(t, dir, "ca.pem")
	writeFiles(t, dir, map[string]string{"not.pem": "just text\n"})
	const scenarios = "scenarios: [{name: a, users: 1, duration: 1s, steps: [map]}]\n"
	suitePath := filepath.Join(dir, "s.yaml")

	s := mustParse(t, suitePath, "name: s\ntls: {ca_file: ca.pem}\n"+scenarios)
	caPEM, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if s.TLS.CAFile != "ca.pem" || string(s.TLS.CAPEM) != string(caPEM) || s.TLS.InsecureSkipVerify {
		t.Errorf("tls %+v, want ca.pem and its content", s.TLS)
	}
	s = mustParse(t, suitePath, "name: s\ntls: {insecure_skip_verify: true}\n"+scenarios)
	if !s.TLS.InsecureSkipVerify || s.TLS.CAPEM != nil {
		t.Errorf("tls %+v, want insecure_skip_verify alone", s.TLS)
	}

	tests := []struct {
		name, tls string
		want      []string
	}{
		{"not PEM", "{ca_file: not.pem}", []string{`S:2:16: ca_file not.pem holds no PEM certificate`}},
		{"missing", "{ca_file: nope.pem}", []string{`S:2:16: ca_file: open D/nope.pem: no such file or directory`}},
		{"not a boolean", "{insecure_skip_verify: yes please}", []string{`S:2:29: insecure_skip_verify must be true or false, not "yes please"`}},
		{"unknown field", "{ca: ca.pem}", []string{`S:2:7: unknown field "ca" in tls`}},
		{"not a mapping", "ca.pem", []string{`S:2:6: tls must be a mapping, not "ca.pem"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problemLines(t, suitePath, "name: s\ntls: "+tt.tls+"\n"+scenarios)
			checkLines(t, got, placed(tt.want, suitePath, dir))
		})
	}
}

func TestUnmeasurable(t *testing.T) {
	const probe = "session: {upload_id: 'json:id', id: 'json:dataset'}\n"
	tests := []struct {
		name          string
		src           string
		targetMetrics bool
		want          []string // the problems of Unmeasurable on a suite that parses
		wantParse     []string // the problems of Parse, when it fails
	}{
		{name: "session gate with a probe", src: probe + "gates: [sessions_lost == 0]\nscenarios:\n  - {name: a, users: 1, duration: 1s, setup: [upload], steps: [map]}\n"},
		{name: "session gate without capture", src: "gates: [sessions_lost == 0]\nscenarios:\n  - {name: a, users: 1, duration: 1s, steps: [map]}\n  - {name: b, users: 1, duration: 1s, steps: [dataset]}\n",
			wantParse: []string{
				`t.yaml:2:9: gate "sessions_lost == 0" cannot be measured: scenario "a" has no step that captures a data set (capture: true) and none that checks the session (expect: {session: true}); remove the gate`,
			}},
		{name: "session gate without a check", src: "scenarios:\n  - {name: a, users: 1, duration: 1s, steps: [upload, {name: x, path: /x}], gates: [sessions_verified > 0]}\n",
			wantParse: []string{
				`t.yaml:3:85: gate "sessions_verified > 0" cannot be measured: scenario "a" has no step that captures a data set (capture: true) and none that checks the session (expect: {session: true}); remove the gate`,
			}},
		{name: "target gates with metrics", targetMetrics: true,
			src: "gates: [serialization_errors == 0, 'target:queue_depth < 5']\nscenarios:\n  - {name: a, users: 1, duration: 1s, steps: [map]}\n"},
		{name: "target gates without metrics",
			src: "gates: [serialization_errors == 0, 'target:queue_depth < 5']\nscenarios:\n  - {name: a, users: 1, duration: 1s, steps: [map]}\n  - {name: b, users: 1, duration: 1s, steps: [map], gates: ['target:x > 1']}\n",
			want: []string{
				`t.yaml:2:9: gate "serialization_errors == 0" cannot be measured: it reads the target's own metrics, and this run has none (an external service: give --metrics-url, or remove the gate)`,
				`t.yaml:2:37: gate "target:queue_depth < 5" cannot be measured: it reads the target's own metrics, and this run has none (an external service: give --metrics-url, or remove the gate)`,
				`t.yaml:5:62: gate "target:x > 1" cannot be measured: it reads the target's own metrics, and this run has none (an external service: give --metrics-url, or remove the gate)`,
			}},
		{name: "other gates", src: "gates: [p95 < 1s, error_rate < 1%, skipped == 0]\nscenarios:\n  - {name: a, users: 1, duration: 1s, steps: [{name: x, path: /x}]}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "name: s\n" + tt.src
			if tt.wantParse != nil {
				checkLines(t, problemLines(t, "t.yaml", src), tt.wantParse)
				return
			}
			s := mustParse(t, "t.yaml", src)
			var got []string
			for _, p := range s.Unmeasurable(tt.targetMetrics) {
				got = append(got, p.String())
			}
			checkLines(t, got, tt.want)
		})
	}
}

func TestGateless(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"suite gates", "gates: [p95 < 1s]\nscenarios:\n  - {name: a, users: 1, duration: 1s, steps: [map]}\n", nil},
		{"scenario gates", "scenarios:\n  - {name: a, users: 1, duration: 1s, steps: [map], gates: [p95 < 1s]}\n", nil},
		{"one without", "scenarios:\n  - {name: a, users: 1, duration: 1s, steps: [map], gates: [p95 < 1s]}\n  - {name: b, users: 1, duration: 1s, steps: [map]}\n", []string{
			`t.yaml:4:5: scenario "b" has no gates, so no run of it could fail: add gates to it or to the suite (for example error_rate < 1%)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustParse(t, "t.yaml", "name: s\n"+tt.src)
			var got []string
			for _, p := range s.Gateless() {
				got = append(got, p.String())
			}
			checkLines(t, got, tt.want)
		})
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		name, in string
		secrets  []string
		want     string
	}{
		{"none", "token abcd", nil, "token abcd"},
		{"every occurrence", "abcd-abcd", []string{"abcd"}, "[redacted]-[redacted]"},
		{"several", "user alice pw hunter22", []string{"hunter22", "alice"}, "user [redacted] pw [redacted]"},
		{"empty secret ignored", "abc", []string{""}, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in, tt.secrets); got != tt.want {
				t.Errorf("Redact(%q, %q) = %q, want %q", tt.in, tt.secrets, got, tt.want)
			}
		})
	}
}

// placed writes the expected problems with their real paths: "S:" is the
// suite file, "D/" the folder its data files are in.
func placed(want []string, suitePath, dir string) []string {
	out := make([]string, len(want))
	for i, w := range want {
		w = strings.Replace(w, "S:", suitePath+":", 1)
		out[i] = strings.Replace(w, "D/", dir+string(filepath.Separator), 1)
	}
	return out
}
