package scenarios

import (
	"loadharness/scenarios/suite"
	"testing"
	"time"
)

func TestIdentityRoundTrip(t *testing.T) {
	tests := []identity{
		{},
		{user: 7, step: 2, intended: 123456789, handoff: 987654321},
		{user: 1<<32 - 1, step: 1000, intended: 24 * time.Hour, handoff: 25 * time.Hour},
	}
	for _, id := range tests {
		url := string(id.appendFragment([]byte("http://h/map?x=1")))
		base, frag, ok := splitFragment(url)
		if !ok || base != "http://h/map?x=1" {
			t.Fatalf("splitFragment(%q) = %q, %q, %v", url, base, frag, ok)
		}
		got, ok := parseIdentity(frag)
		if !ok || got != id {
			t.Errorf("parseIdentity(%q) = %+v, %v; want %+v", frag, got, ok, id)
		}
	}
	for _, bad := range []string{"", "lt.", "lt.1.2.3", "lt.1.2.3.4.5", "lt.a.2.3.4", "xx.1.2.3.4", "lt.1..3.4", "lt.4294967296.0.0.0", "lt.-1.2.3.4"} {
		if _, ok := parseIdentity(bad); ok {
			t.Errorf("parseIdentity(%q): want false", bad)
		}
	}
	if _, _, ok := splitFragment("http://h/a#other"); ok {
		t.Error("a foreign fragment is not an identity")
	}
}

func TestCleanError(t *testing.T) {
	tests := []struct{ msg, frag, want string }{
		{`Get "http://h/map#lt.1.2.3.4": connection refused`, "lt.1.2.3.4", `Get "http://h/map": connection refused`},
		{"503 Service Unavailable", "lt.1.2.3.4", "503 Service Unavailable"},
		{"lt.1.2.3.4 without hash", "lt.1.2.3.4", "lt.1.2.3.4 without hash"},
	}
	for _, tt := range tests {
		if got := cleanError(tt.msg, tt.frag); got != tt.want {
			t.Errorf("cleanError(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}

func TestTemplate(t *testing.T) {
	data := &suite.Data{Fields: []string{"email", "item"}, Rows: [][]string{
		{"a@x.example", "book"}, {"b+1@x.example", `say "hi"`},
	}}
	u := &user{id: 42, row: 1, vars: map[string]string{"token": "t/1 2"}}
	tests := []struct {
		name, in string
		esc      escape
		isURL    bool
		want     string
	}{
		{name: "plain", in: "/plain", want: "/plain"},
		{name: "user", in: "vu-{{user}}", want: "vu-42"},
		{name: "user twice", in: "{{user}}/{{user}}", want: "42/42"},
		{name: "row and var", in: "{{row.email}} {{ token }}", want: "b+1@x.example t/1 2"},
		{name: "json escapes", in: `{"item":"{{row.item}}"}`, esc: escJSON, want: `{"item":"say \"hi\""}`},
		{name: "query escapes after ?", in: "/u/{{token}}?e={{row.email}}&t={{token}}", isURL: true,
			want: "/u/t/1 2?e=b%2B1%40x.example&t=t%2F1+2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmpl, err := compileTemplate(tt.in, data, tt.esc, tt.isURL)
			if err != nil {
				t.Fatal(err)
			}
			if got := tmpl.expand(u); got != tt.want {
				t.Errorf("expand(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	if _, err := compileTemplate("{{row.nope}}", data, escNone, false); err == nil {
		t.Error("a field the data lacks compiled")
	}
}
