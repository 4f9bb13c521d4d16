package har_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"loadharness/scenarios/har"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// importedSuite is the part of a converted suite the tests look at.
type importedSuite struct {
	Name      string
	Stack     map[string]any
	Gates     []string
	Scenarios []struct {
		Name     string
		Users    int
		Duration string
		Think    string
		Steps    []importedStep
	}
}

type importedStep struct {
	Name    string
	Method  string
	Path    string
	Headers map[string]string
	Body    *string
	Form    map[string]string
	Extract map[string]map[string]string
	Expect  struct{ Status []int }
}

// String writes a step on one line, its maps in key order.
func (s importedStep) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s %s", s.Name, s.Method, s.Path)
	if len(s.Headers) > 0 {
		fmt.Fprintf(&b, " headers{%s}", pairs(s.Headers))
	}
	if s.Body != nil {
		fmt.Fprintf(&b, " body %s", *s.Body)
	}
	if s.Form != nil {
		fmt.Fprintf(&b, " form{%s}", pairs(s.Form))
	}
	if len(s.Extract) > 0 {
		flat := map[string]string{}
		for k, src := range s.Extract {
			for kind, arg := range src {
				flat[k] = kind + " " + arg
			}
		}
		fmt.Fprintf(&b, " extract{%s}", pairs(flat))
	}
	if s.Expect.Status != nil {
		fmt.Fprintf(&b, " status%v", s.Expect.Status)
	}
	return b.String()
}

func pairs(m map[string]string) string {
	var out []string
	for k, v := range m {
		out = append(out, k+": "+v)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// mustConvert converts l and reads the suite back.
func mustConvert(tb testing.TB, l *har.Log, o har.Options) (importedSuite, []byte, []string) {
	tb.Helper()
	text, warnings, err := har.Convert(l, o)
	if err != nil {
		tb.Fatalf("convert: %v", err)
	}
	var s importedSuite
	if err := yaml.Unmarshal(text, &s); err != nil {
		tb.Fatalf("the suite is not YAML: %v\n%s", err, text)
	}
	if len(s.Scenarios) != 1 {
		tb.Fatalf("%d scenarios, want 1\n%s", len(s.Scenarios), text)
	}
	return s, text, warnings
}

func stepLines(s importedSuite) []string {
	var out []string
	for _, st := range s.Scenarios[0].Steps {
		out = append(out, st.String())
	}
	return out
}

func TestConvertShopGolden(t *testing.T) {
	text, _, err := har.Convert(mustReadFile(t, "shop.har"), har.Options{Name: "shop", Source: "shop.har"})
	if err != nil {
		t.Fatal(err)
	}
	const golden = "testdata/shop.yaml"
	if *update {
		if err := os.WriteFile(golden, text, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(text, want) {
		t.Errorf("the suite differs from %s (go test -update rewrites it):\n%s", golden, text)
	}
}

func TestConvertShop(t *testing.T) {
	token := "eyJhbGciOiJIUzI1NiJ9.abcdefghijklmnop.qrstuvwxyz012345"
	s, text, warnings := mustConvert(t, mustReadFile(t, "shop.har"), har.Options{Name: "shop"})
	got := stepLines(s)
	want := []string{
		"get-root: GET / headers{Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8} status[200]",
		`post-api-login: POST /api/login headers{Accept: application/json, Content-Type: application/json} body {"email":"a@example.com","password":"pw"} extract{token: json token} status[200]`,
		"get-api-account: GET /api/account headers{Accept: application/json, Authorization: Bearer {{token}}, X-Requested-With: XMLHttpRequest} status[200]",
		`post-api-orders: POST /api/orders headers{Accept: application/json, Authorization: Bearer {{token}}, Content-Type: application/json} body {"item":"book","qty":1} extract{id: json id} status[201]`,
		"get-api-orders-id: GET /api/orders/{{id}} headers{Accept: application/json, Authorization: Bearer {{token}}} status[200]",
	}
	if !slices.Equal(got, want) {
		t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if strings.Contains(string(text), token) || strings.Contains(string(text), "ord-1234567890abcdef") {
		t.Errorf("a carried value is still written literally:\n%s", text)
	}
	sc := s.Scenarios[0]
	if got, want := []string{s.Name, sc.Name, sc.Duration, sc.Think}, []string{"shop", "recorded", "30s", "1.5s"}; !slices.Equal(got, want) {
		t.Errorf("name, scenario, duration, think = %q, want %q", got, want)
	}
	if got, want := s.Gates, []string{"p95 < 2s", "error_rate < 1%"}; !slices.Equal(got, want) {
		t.Errorf("gates = %q, want %q", got, want)
	}
	wantWarnings := []string{
		"dropped 1 request to other hosts (fonts.example.com): --host keeps them",
		"dropped 2 static assets (images, CSS, scripts, fonts, media): --include-assets keeps them",
		`step post-api-login: the body holds a password recorded in clear ("password"): put it in an environment variable, ${NAME}`,
	}
	if !slices.Equal(warnings, wantWarnings) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(warnings, "\n"), strings.Join(wantWarnings, "\n"))
	}
	for _, w := range warnings {
		if !strings.Contains(string(text), "#   "+w+"\n") {
			t.Errorf("warning %q is not among the suite's comments", w)
		}
	}
}

func TestConvertShopOptions(t *testing.T) {
	tests := []struct {
		name string
		o    har.Options
		want []string // the steps' names
	}{
		{
			name: "assets kept",
			o:    har.Options{IncludeAssets: true},
			want: []string{"get-root", "get-static-app.js", "get-static-logo.png", "post-api-login", "get-api-account", "post-api-orders", "get-api-orders-id"},
		},
		{
			name: "the font host only",
			o:    har.Options{Hosts: []string{"fonts.example.com"}, IncludeAssets: true},
			want: []string{"get-font.woff2"},
		},
		{
			name: "both hosts, by URL and by name",
			o:    har.Options{Hosts: []string{"http://127.0.0.1:8080", "FONTS.example.com"}},
			want: []string{"get-root", "post-api-login", "get-api-account", "post-api-orders", "get-api-orders-id"},
		},
		{
			name: "another port",
			o:    har.Options{Hosts: []string{"127.0.0.1:9090", "127.0.0.1"}},
			want: []string{"get-root", "post-api-login", "get-api-account", "post-api-orders", "get-api-orders-id"},
		},
	}
	l := mustReadFile(t, "shop.har")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := mustConvert(t, l, tt.o)
			var got []string
			for _, st := range s.Scenarios[0].Steps {
				got = append(got, st.Name)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("steps = %q, want %q", got, tt.want)
			}
		})
	}
}

// at is a start time, ms milliseconds into the recording.
func at(ms int) time.Time {
	return time.Date(2024, 5, 14, 9, 30, 0, 0, time.UTC).Add(time.Duration(ms) * time.Millisecond)
}

// exchange is a recorded GET of url answered by status with a JSON body.
func exchange(url string, status int, response string) har.Entry {
	return har.Entry{
		Request:  har.Request{Method: "GET", URL: url},
		Response: har.Response{Status: status, Content: har.Content{MimeType: "application/json", Text: response}},
	}
}

func with(e har.Entry, edit func(*har.Entry)) har.Entry {
	edit(&e)
	return e
}

func post(mime, body string) func(*har.Entry) {
	return func(e *har.Entry) {
		e.Request.Method = "POST"
		e.Request.PostData = &har.PostData{MimeType: mime, Text: body}
	}
}

func headers(hs ...string) func(*har.Entry) {
	return func(e *har.Entry) {
		for i := 0; i+1 < len(hs); i += 2 {
			e.Request.Headers = append(e.Request.Headers, har.Header{Name: hs[i], Value: hs[i+1]})
		}
	}
}

func TestConvert(t *testing.T) {
	const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlMTIz"
	tests := []struct {
		name     string
		entries  []har.Entry
		want     []string
		warnings []string // each held by some warning
	}{
		{
			name: "form from text, in order",
			entries: []har.Entry{with(exchange("http://a/login", 302, ""), post("application/x-www-form-urlencoded; charset=UTF-8", "user=ann+lee&pass=p%26w&next=%2F")),
				exchange("http://a/", 200, "")},
			want:     []string{"post-login: POST /login form{next: /, pass: p&w, user: ann lee} status[302]", "get-root: GET / status[200]"},
			warnings: []string{"step post-login: form field pass holds a password"},
		},
		{
			name: "form from params",
			entries: []har.Entry{with(exchange("http://a/f", 200, ""), func(e *har.Entry) {
				e.Request.Method = "POST"
				e.Request.PostData = &har.PostData{MimeType: "application/x-www-form-urlencoded", Params: []har.Param{{Name: "q", Value: "a%20b"}, {Name: "n", Value: "1"}}}
			})},
			want: []string{"post-f: POST /f form{n: 1, q: a b} status[200]"},
		},
		{
			name:    "a field twice is a raw body",
			entries: []har.Entry{with(exchange("http://a/f", 200, ""), post("application/x-www-form-urlencoded", "a=1&a=2"))},
			want:    []string{"post-f: POST /f headers{Content-Type: application/x-www-form-urlencoded} body a=1&a=2 status[200]"},
		},
		{
			name: "headers kept and dropped",
			entries: []har.Entry{with(exchange("http://a/x?q=1&r=%20s", 200, ""), headers(
				":authority", "a", "cookie", "sid=1", "user-agent", "UA", "accept", "*/*", "accept", "text/plain", "x-api-version", "3",
				"Sec-Fetch-Mode", "cors", "Referer", "http://a/", "Origin", "http://a", "Accept-Encoding", "gzip", "X-Bad", "a\nb"))},
			want:     []string{"get-x: GET /x?q=1&r=%20s headers{Accept: */*, X-Api-Version: 3} status[200]"},
			warnings: []string{"step get-x: header X-Bad was left out"},
		},
		{
			name: "token in a query, a body and a cookie-named header",
			entries: []har.Entry{
				with(exchange("http://a/session", 200, `{"data": {"items": [{"csrfToken": "c5rf0000aaaa1111"}], "x.y": "k3y.with.dots.123456"}}`), post("application/json", `{}`)),
				with(exchange("http://a/save?csrf=c5rf0000aaaa1111", 204, ""), post("application/json", `{"k":"k3y.with.dots.123456","c":"c5rf0000aaaa1111"}`)),
			},
			want: []string{
				`post-session: POST /session headers{Content-Type: application/json} body {} extract{csrftoken: json data.items.0.csrfToken, x_y: json data.x\.y} status[200]`,
				`post-save: POST /save?csrf={{csrftoken}} headers{Content-Type: application/json} body {"k":"{{x_y}}","c":"{{csrftoken}}"} status[204]`,
			},
		},
		{
			name: "a value only where it stands alone",
			entries: []har.Entry{
				exchange("http://a/new", 200, `{"id": "abc12345"}`),
				exchange("http://a/items/abc12345x/abc12345", 200, ""),
			},
			want: []string{"get-new: GET /new extract{id: json id} status[200]", "get-items-abc12345x-id: GET /items/abc12345x/{{id}} status[200]"},
		},
		{
			name: "not carried: short, wordy, the request's own, or never sent back",
			entries: []har.Entry{
				with(exchange("http://a/e?echo=e5e5e5e5e5e5", 200, `{"id": "42", "status": "acceptedlongword", "echo": "e5e5e5e5e5e5", "unused": "u0000000000000000"}`), func(*har.Entry) {}),
				exchange("http://a/x/42/acceptedlongword/e5e5e5e5e5e5", 200, ""),
			},
			want: []string{"get-e: GET /e?echo=e5e5e5e5e5e5 status[200]", "get-x-42-acceptedlongword-e5e5e5e5e5e5: GET /x/42/acceptedlongword/e5e5e5e5e5e5 status[200]"},
		},
		{
			name: "from a header and a cookie; names unique",
			entries: []har.Entry{
				with(exchange("http://a/login", 200, `{"token": "t0k3n-first-aaaa"}`), func(e *har.Entry) {
					e.Response.Headers = []har.Header{{Name: "x-csrf-token", Value: "hdr0000011111"}, {Name: "Set-Cookie", Value: `token="ck000001111122"; Path=/`}}
				}),
				with(exchange("http://a/me", 200, ""), headers("X-CSRF-Token", "hdr0000011111", "X-Token", "ck000001111122", "Authorization", "Bearer t0k3n-first-aaaa")),
			},
			want: []string{
				// Named in the order of first use.
				"get-login: GET /login extract{token: cookie token, token_2: json token, x_csrf_token: header X-Csrf-Token} status[200]",
				"get-me: GET /me headers{Authorization: Bearer {{token_2}}, X-Csrf-Token: {{x_csrf_token}}, X-Token: {{token}}} status[200]",
			},
		},
		{
			name: "a bearer token from outside the recording",
			entries: []har.Entry{
				with(exchange("http://a/me", 200, ""), headers("Authorization", "Bearer "+jwt)),
			},
			want:     []string{"get-me: GET /me headers{Authorization: Bearer " + jwt + "} status[200]"},
			warnings: []string{"step get-me: header Authorization holds a credential recorded in clear"},
		},
		{
			name: "statuses",
			entries: []har.Entry{
				exchange("http://a/cached", 304, ""), exchange("http://a/range", 206, ""),
				exchange("http://a/missing", 404, ""), exchange("http://a/moved", 301, ""),
			},
			want:     []string{"get-cached: GET /cached status[200 304]", "get-range: GET /range status[200 206]", "get-missing: GET /missing", "get-moved: GET /moved status[301]"},
			warnings: []string{"step get-missing: the recorded response was 404, which the harness counts as an error"},
		},
		{
			name: "templates and environment references in recorded text",
			entries: []har.Entry{
				with(exchange("http://a/t", 200, ""), post("text/plain", "{{user}} costs ${PRICE} and $${X}")),
			},
			want: []string{"post-t: POST /t headers{Content-Type: text/plain} body {{user}} costs $${PRICE} and $$${X} status[200]"},
			warnings: []string{
				`step post-t: the recorded body holds "{{", which a suite reads as a placeholder: edit it`,
				`step post-t: "${" in the recorded body is written "$${"`,
			},
		},
		{
			name: "dropped: preflight, methods, no response, other schemes, binary",
			entries: []har.Entry{
				exchange("http://a/", 200, ""),
				with(exchange("http://a/api", 204, ""), func(e *har.Entry) {
					e.Request.Method = "OPTIONS"
					e.Request.Headers = []har.Header{{Name: "Access-Control-Request-Method", Value: "POST"}}
				}),
				with(exchange("http://a/api", 200, ""), func(e *har.Entry) { e.Request.Method = "PROPFIND" }),
				exchange("http://a/cancelled", 0, ""),
				exchange("data:text/plain,hi", 200, ""),
				exchange("ws://a/socket", 101, ""),
				with(exchange("http://a/up", 200, ""), post("application/octet-stream", "\xff\xfe")),
			},
			want: []string{"get-root: GET / status[200]"},
			warnings: []string{
				"dropped 2 requests that are not HTTP", "dropped 1 CORS preflight", "dropped 1 request with a method",
				"dropped 1 request the browser got no response to", "dropped 1 request with a binary body",
			},
		},
		{
			name: "names: long, repeated, odd characters",
			entries: []har.Entry{
				exchange("http://a/search?q=1", 200, ""), exchange("http://a/search?q=2", 200, ""),
				exchange("http://a/"+strings.Repeat("very-long-segment/", 8), 200, ""),
				exchange("http://a/"+strings.Repeat("very-long-segment/", 8)+"x", 200, ""),
				exchange("http://a/%C3%A9t%C3%A9/~me", 200, ""),
			},
			want: []string{
				"get-search: GET /search?q=1 status[200]", "get-search-2: GET /search?q=2 status[200]",
				"get-very-long-segment-very-long-segment-very-long-segment-v: GET /" + strings.Repeat("very-long-segment/", 8) + " status[200]",
				"get-very-long-segment-very-long-segment-very-long-segment-v-2: GET /" + strings.Repeat("very-long-segment/", 8) + "x status[200]",
				"get-c3-a9t-c3-a9-me: GET /%C3%A9t%C3%A9/~me status[200]",
			},
		},
		{
			name:    "a query as a browser sends it",
			entries: []har.Entry{exchange("http://a/s?q=é ü&t=\"x\"", 200, "")},
			want:    []string{"get-s: GET /s?q=%C3%A9%20%C3%BC&t=\"x\" status[200]"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, text, warnings := mustConvert(t, &har.Log{Entries: tt.entries}, har.Options{})
			got := stepLines(s)
			if !slices.Equal(got, tt.want) {
				t.Errorf("steps:\n%s\nwant:\n%s\n\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"), text)
			}
			for _, w := range tt.warnings {
				if !slices.ContainsFunc(warnings, func(got string) bool { return strings.Contains(got, w) }) {
					t.Errorf("no warning holds %q; warnings:\n%s", w, strings.Join(warnings, "\n"))
				}
			}
		})
	}
}

func TestConvertThink(t *testing.T) {
	// three requests; each lasts 100ms.
	starts := func(ms ...int) []har.Entry {
		var out []har.Entry
		for i, m := range ms {
			e := exchange(fmt.Sprintf("http://a/%d", i), 200, "")
			e.Started, e.Time = at(m), 100
			out = append(out, e)
		}
		return out
	}
	tests := []struct {
		name     string
		entries  []har.Entry
		maxThink time.Duration
		want     string
	}{
		{name: "median of two gaps, rounded", entries: starts(0, 1100, 3310), want: "1.56s"},
		{name: "median of three", entries: starts(0, 400, 5000, 5700), want: "600ms"},
		{name: "overlapping requests", entries: starts(0, 10, 20), want: "0s"},
		{name: "bounded by default", entries: starts(0, 60_000, 120_000), want: "5s"},
		{name: "bounded by option", entries: starts(0, 60_000, 120_000), maxThink: 2 * time.Minute, want: "59.9s"},
		{name: "one request", entries: starts(0), want: "0s"},
		{name: "no times", entries: []har.Entry{exchange("http://a/1", 200, ""), exchange("http://a/2", 200, "")}, want: "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := mustConvert(t, &har.Log{Entries: tt.entries}, har.Options{MaxThink: tt.maxThink})
			if got := s.Scenarios[0].Think; got != tt.want {
				t.Errorf("think = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestConvertErrors(t *testing.T) {
	shop := mustReadFile(t, "shop.har")
	tests := []struct {
		name string
		l    *har.Log
		o    har.Options
		want string
	}{
		{name: "no log", want: "no HAR log"},
		{name: "bad name", l: shop, o: har.Options{Name: "my suite"}, want: `suite name "my suite"`},
		{name: "bad host", l: shop, o: har.Options{Hosts: []string{"a/b"}}, want: `host "a/b"`},
		{name: "nothing kept", l: shop, o: har.Options{Hosts: []string{"elsewhere.example"}}, want: "no request left to replay: dropped 8 requests to other hosts"},
		{name: "empty log", l: &har.Log{}, want: "no request left to replay"},
		{name: "URL not text", l: &har.Log{Entries: []har.Entry{exchange("http://\x80/", 200, "")}}, want: `entry 0: request.url "http://\x80/": not UTF-8 text`},
		{name: "bad URL", l: &har.Log{Entries: []har.Entry{exchange("http://a/", 200, ""), exchange("%%", 200, "")}}, want: `entry 1: request.url "%%"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := har.Convert(tt.l, tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want it to hold %q", err, tt.want)
			}
		})
	}
}

func TestConvertStepLimit(t *testing.T) {
	var l har.Log
	for i := range 1003 {
		l.Entries = append(l.Entries, exchange(fmt.Sprintf("http://a/%d", i), 200, ""))
	}
	s, _, warnings := mustConvert(t, &l, har.Options{})
	if got, want := len(s.Scenarios[0].Steps), 1000; got != want {
		t.Errorf("steps = %d, want %d", got, want)
	}
	if got, want := warnings, []string{"dropped the last 3 requests: a scenario holds at most 1000 steps"}; !slices.Equal(got, want) {
		t.Errorf("warnings = %q, want %q", got, want)
	}
}
