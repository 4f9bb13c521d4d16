package scenarios

import (
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"loadharness/scenarios/suite"
)

// response is a response with header, the cookies set and body.
func response(header map[string]string, cookies []*http.Cookie, body string) *http.Response {
	rec := httptest.NewRecorder()
	for k, v := range header {
		rec.Header().Add(k, v)
	}
	for _, c := range cookies {
		http.SetCookie(rec, c)
	}
	rec.WriteString(body)
	return rec.Result()
}

func TestExtractValue(t *testing.T) {
	const items = `{"token":"abc","n":1.5,"ok":true,"none":null,"obj":{"a":1},"data":{"items":[{"id":7},{"id":8}]}}`
	cookies := []*http.Cookie{{Name: "theme", Value: "dark"}, {Name: "sid", Value: "s-42", Path: "/", HttpOnly: true}}
	header := map[string]string{"Location": "/orders/9", "X-Many": "first"}
	tests := []struct {
		name, from, expr, body string
		want                   string
		wantFound              bool
	}{
		{"json top", suite.FromJSONPath, "token", items, "abc", true},
		{"json nested index", suite.FromJSONPath, "data.items.1.id", items, "8", true},
		{"json count", suite.FromJSONPath, "data.items.#", items, "2", true},
		{"json number", suite.FromJSONPath, "n", items, "1.5", true},
		{"json boolean", suite.FromJSONPath, "ok", items, "true", true},
		{"json object", suite.FromJSONPath, "obj", items, `{"a":1}`, true},
		{"json missing", suite.FromJSONPath, "nope", items, "", false},
		{"json index out of range", suite.FromJSONPath, "data.items.5.id", items, "", false},
		{"json null", suite.FromJSONPath, "none", items, "", false},
		{"json of no JSON", suite.FromJSONPath, "token", "<html>token</html>", "", false},
		{"header", suite.FromHeaderOf, "Location", "", "/orders/9", true},
		{"header in lower case", suite.FromHeaderOf, "location", "", "/orders/9", true},
		{"header given twice", suite.FromHeaderOf, "X-Many", "", "first", true},
		{"header missing", suite.FromHeaderOf, "X-Nope", "", "", false},
		{"cookie", suite.FromCookie, "sid", "", "s-42", true},
		{"cookie missing", suite.FromCookie, "SID", "", "", false},
		{"regex group", suite.FromRegex, `name="csrf" value="([^"]+)"`, `<input name="csrf" value="t0k">`, "t0k", true},
		{"regex first match", suite.FromRegex, `id=(\d+)`, "id=1 id=2", "1", true},
		{"regex whole match", suite.FromRegex, `[0-9]+`, "order 123 ok", "123", true},
		{"regex group that took no part", suite.FromRegex, `a(x)?b`, "ab", "", true},
		{"regex no match", suite.FromRegex, `id=(\d+)`, "none", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := &suite.Extraction{Name: "v", From: tt.from, Expr: tt.expr}
			if tt.from == suite.FromRegex {
				x.Regex = regexp.MustCompile(tt.expr)
			}
			resp := response(header, cookies, tt.body)
			resp.Header.Add("X-Many", "second")
			got, found := extractValue(x, resp, []byte(tt.body))
			if got != tt.want || found != tt.wantFound {
				t.Errorf("extractValue(%s %q) = %q, %v; want %q, %v", tt.from, tt.expr, got, found, tt.want, tt.wantFound)
			}
		})
	}
}

func TestRunCheck(t *testing.T) {
	str := func(s string) *string { return &s }
	yes, no := true, false
	const body = `{"status":"rejected","id":"o-17","none":null}`
	header := map[string]string{"Content-Type": "application/json", "X-Empty": ""}
	tests := []struct {
		name      string
		check     suite.Check
		body      string
		truncated bool
		elapsed   time.Duration
		want      string
	}{
		{name: "json equals", check: suite.Check{Kind: suite.CheckJSON, Expr: "status", Equals: str("rejected")}, body: body},
		{name: "json equals fails", check: suite.Check{Kind: suite.CheckJSON, Expr: "status", Equals: str("accepted")}, body: body, want: `"rejected"`},
		{name: "json equals missing", check: suite.Check{Kind: suite.CheckJSON, Expr: "nope", Equals: str("")}, body: body, want: "absent"},
		{name: "json equals a long value", check: suite.Check{Kind: suite.CheckJSON, Expr: "s", Equals: str("x")}, body: `{"s":"` + strings.Repeat("a", 50) + `"}`,
			want: `"` + strings.Repeat("a", 40) + `…"`},
		{name: "json exists", check: suite.Check{Kind: suite.CheckJSON, Expr: "id", Exists: &yes}, body: body},
		{name: "json exists fails", check: suite.Check{Kind: suite.CheckJSON, Expr: "nope", Exists: &yes}, body: body, want: "absent"},
		{name: "json null exists", check: suite.Check{Kind: suite.CheckJSON, Expr: "none", Exists: &yes}, body: body},
		{name: "json exists false", check: suite.Check{Kind: suite.CheckJSON, Expr: "error", Exists: &no}, body: body},
		{name: "json exists false fails", check: suite.Check{Kind: suite.CheckJSON, Expr: "id", Exists: &no}, body: body, want: "present"},
		{name: "json matches", check: suite.Check{Kind: suite.CheckJSON, Expr: "id", Matches: regexp.MustCompile(`^o-[0-9]+$`)}, body: body},
		{name: "json matches fails", check: suite.Check{Kind: suite.CheckJSON, Expr: "status", Matches: regexp.MustCompile(`^acc`)}, body: body, want: `"rejected"`},
		{name: "json matches missing", check: suite.Check{Kind: suite.CheckJSON, Expr: "nope", Matches: regexp.MustCompile(`.*`)}, body: body, want: "absent"},
		{name: "json truncated", check: suite.Check{Kind: suite.CheckJSON, Expr: "id", Exists: &yes}, body: body, truncated: true, want: "body over 16 MiB not checked"},
		{name: "header equals", check: suite.Check{Kind: suite.CheckHeader, Expr: "content-type", Equals: str("application/json")}},
		{name: "header equals fails", check: suite.Check{Kind: suite.CheckHeader, Expr: "Content-Type", Equals: str("text/html")}, want: `"application/json"`},
		{name: "header equals missing", check: suite.Check{Kind: suite.CheckHeader, Expr: "X-Nope", Equals: str("")}, want: "absent"},
		{name: "header exists", check: suite.Check{Kind: suite.CheckHeader, Expr: "Content-Type", Exists: &yes}},
		{name: "header exists empty", check: suite.Check{Kind: suite.CheckHeader, Expr: "X-Empty", Exists: &yes}},
		{name: "header exists fails", check: suite.Check{Kind: suite.CheckHeader, Expr: "X-Nope", Exists: &yes}, want: "absent"},
		{name: "header exists false", check: suite.Check{Kind: suite.CheckHeader, Expr: "X-Nope", Exists: &no}},
		{name: "header exists false fails", check: suite.Check{Kind: suite.CheckHeader, Expr: "content-type", Exists: &no}, want: "present"},
		{name: "header matches", check: suite.Check{Kind: suite.CheckHeader, Expr: "Content-Type", Matches: regexp.MustCompile(`json$`)}},
		{name: "header matches fails", check: suite.Check{Kind: suite.CheckHeader, Expr: "Content-Type", Matches: regexp.MustCompile(`^text/`)}, want: `"application/json"`},
		{name: "body_size within", check: suite.Check{Kind: suite.CheckBodySize, MinBytes: 2, MaxBytes: 10}, body: "12345"},
		{name: "body_size at the bounds", check: suite.Check{Kind: suite.CheckBodySize, MinBytes: 5, MaxBytes: 5}, body: "12345"},
		{name: "body_size under", check: suite.Check{Kind: suite.CheckBodySize, MinBytes: 6}, body: "12345", want: "body under 6 bytes"},
		{name: "body_size over", check: suite.Check{Kind: suite.CheckBodySize, MaxBytes: 4}, body: "12345", want: "body over 4 bytes"},
		{name: "body_size empty", check: suite.Check{Kind: suite.CheckBodySize, MinBytes: 1}, want: "body under 1 bytes"},
		{name: "body_size truncated with max", check: suite.Check{Kind: suite.CheckBodySize, MaxBytes: 1 << 30}, body: "12345", truncated: true, want: "body over 16 MiB"},
		{name: "body_size truncated with min", check: suite.Check{Kind: suite.CheckBodySize, MinBytes: 2}, body: "12345", truncated: true},
		{name: "latency within", check: suite.Check{Kind: suite.CheckLatency, Latency: 500 * time.Millisecond}, elapsed: 499 * time.Millisecond},
		{name: "latency at the budget", check: suite.Check{Kind: suite.CheckLatency, Latency: 500 * time.Millisecond}, elapsed: 500 * time.Millisecond},
		{name: "latency over", check: suite.Check{Kind: suite.CheckLatency, Latency: 500 * time.Millisecond}, elapsed: 501 * time.Millisecond, want: "took longer than 500ms"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := response(header, nil, tt.body)
			if got, want := runCheck(&tt.check, resp, []byte(tt.body), tt.truncated, tt.elapsed), tt.want; got != want {
				t.Errorf("runCheck = %q, want %q", got, want)
			}
		})
	}
}

// TestAssertSetsAndRemovesVariables: an extraction that finds its value
// sets the variable, one that finds nothing removes it and fails, and the
// first failure names itself.
func TestAssertSetsAndRemovesVariables(t *testing.T) {
	yes := true
	sp := &stepPlan{
		extract: []suite.Extraction{
			{Name: "token", From: suite.FromJSONPath, Expr: "token"},
			{Name: "sid", From: suite.FromCookie, Expr: "sid"},
		},
		checks: []suite.Check{{Name: "has-id", Kind: suite.CheckJSON, Expr: "id", Exists: &yes}},
	}
	tests := []struct {
		name     string
		body     string
		cookie   bool
		wantVars map[string]string
		want     string
	}{
		{"all found", `{"token":"t1","id":1}`, true, map[string]string{"token": "t1", "sid": "s1", "old": "o"}, ""},
		{"token missing", `{"id":1}`, true, map[string]string{"sid": "s1", "old": "o"}, `extract token: json "token" found nothing`},
		{"cookie missing and the check fails", `{"token":"t2"}`, false, map[string]string{"token": "t2", "old": "o"}, `extract sid: cookie "sid" found nothing`},
		{"only the check fails", `{"token":"t3"}`, true, map[string]string{"token": "t3", "sid": "s1", "old": "o"}, `check has-id: absent`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := &user{vars: map[string]string{"token": "stale", "sid": "stale", "old": "o"}}
			var cookies []*http.Cookie
			if tt.cookie {
				cookies = []*http.Cookie{{Name: "sid", Value: "s1"}}
			}
			got := sp.assert(u, response(nil, cookies, tt.body), []byte(tt.body), false, time.Millisecond)
			if got != tt.want {
				t.Errorf("assert = %q, want %q", got, tt.want)
			}
			if !mapsEqual(u.vars, tt.wantVars) {
				t.Errorf("vars %v, want %v", u.vars, tt.wantVars)
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestStepTemplatesEscape: a value is JSON-escaped in a json: body,
// query-escaped after the path's "?", form-encoded in a form, and written
// as it is in the path and a header.
func TestStepTemplatesEscape(t *testing.T) {
	s, err := suite.Parse("t.yaml", []byte(`name: t
scenarios:
  - name: s
    users: 1
    duration: 1s
    setup: [{name: login, path: /login, extract: {v: {json: v}}}]
    steps:
      - name: j
        method: POST
        path: "/p/{{v}}/x?q={{v}}&u={{user}}"
        headers: {X-V: "<{{v}}>"}
        json: {v: "{{v}}", n: 1}
      - name: f
        method: POST
        path: /f
        form: {v: "{{v}}"}
`))
	if err != nil {
		t.Fatal(err)
	}
	p, err := compile(s.Scenarios[0], "http://h:1", suite.DefaultSessionProbe)
	if err != nil {
		t.Fatal(err)
	}
	u := &user{id: 3, vars: map[string]string{"v": `a "b"&c/d?e`}}
	j, f := &p.steps[1], &p.steps[2]
	if got, want := j.url.expand(u), `http://h:1/p/a "b"&c/d?e/x?q=a+%22b%22%26c%2Fd%3Fe&u=3`; got != want {
		t.Errorf("url %s, want %s", got, want)
	}
	if got, want := j.requestHeader(u).Get("X-V"), `<a "b"&c/d?e>`; got != want {
		t.Errorf("header %s, want %s", got, want)
	}
	body, err := j.requestBody(u, 1, newUploadCache(0))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(body), `{"n":1,"v":"a \"b\"\u0026c/d?e"}`; got != want {
		t.Errorf("json body %s, want %s", got, want)
	}
	if got, want := j.header.Get("Content-Type"), "application/json"; got != want {
		t.Errorf("json content type %q, want %q", got, want)
	}
	body, err = f.requestBody(u, 2, newUploadCache(0))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(body), "v=a+%22b%22%26c%2Fd%3Fe"; got != want {
		t.Errorf("form body %s, want %s", got, want)
	}
}

func TestClientTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	srv.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	tests := []struct {
		name         string
		tls          suite.TLS
		wantInsecure bool
		wantRoots    bool
		wantErr      string
	}{
		{name: "ca", tls: suite.TLS{CAFile: "ca.pem", CAPEM: caPEM}, wantRoots: true},
		{name: "insecure", tls: suite.TLS{InsecureSkipVerify: true}, wantInsecure: true},
		{name: "not PEM", tls: suite.TLS{CAFile: "x.pem", CAPEM: []byte("text")}, wantErr: "tls: x.pem holds no PEM certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := clientTLS(tt.tls)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.InsecureSkipVerify != tt.wantInsecure || (cfg.RootCAs != nil) != tt.wantRoots {
				t.Errorf("config InsecureSkipVerify %v, RootCAs %v; want %v, roots %v", cfg.InsecureSkipVerify, cfg.RootCAs != nil, tt.wantInsecure, tt.wantRoots)
			}
		})
	}
}

// TestTLSAgainstAnHTTPSServer runs a scenario against an https server whose
// certificate no system trusts: with its certificate as ca_file, or with
// insecure_skip_verify, every request is answered; with neither, every
// request fails on the certificate.
func TestTLSAgainstAnHTTPSServer(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes
	srv.StartTLS()
	defer srv.Close()
	dir := t.TempDir()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, tls string
		wantOK    bool
	}{
		{"ca_file", "tls: {ca_file: ca.pem}\n", true},
		{"insecure_skip_verify", "tls: {insecure_skip_verify: true}\n", true},
		{"neither", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := suite.Parse(filepath.Join(dir, "s.yaml"), []byte("name: t\n"+tt.tls+`scenarios:
  - name: s
    users: 2
    think: 20ms
    duration: 300ms
    setup: [{name: hello, path: /hello}]
    steps: [{name: x, path: /x, checks: [{json: ok, equals: "true"}]}]
`))
			if err != nil {
				t.Fatal(err)
			}
			_, sink := mustRun(t, s.Scenarios[0], RunOptions{BaseURL: srv.URL, TLS: s.TLS, Timeout: 5 * time.Second})
			if len(sink.step("hello")) != 2 || len(sink.step("x")) == 0 {
				t.Fatalf("%d setup and %d main results, want 2 and some", len(sink.step("hello")), len(sink.step("x")))
			}
			for _, r := range sink.results {
				switch {
				case tt.wantOK && (r.Code != http.StatusOK || r.Error != "" || r.CheckFailure != ""):
					t.Fatalf("%s: code %d, error %q, check %q; want 200", r.Step, r.Code, r.Error, r.CheckFailure)
				case !tt.wantOK && (r.Code != 0 || !strings.Contains(r.Error, "certificate")):
					t.Fatalf("%s: code %d, error %q; want a certificate error", r.Step, r.Code, r.Error)
				}
			}
		})
	}
}
