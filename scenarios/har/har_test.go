package har_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"loadharness/scenarios/har"
)

// mustReadFile reads a HAR file from testdata.
func mustReadFile(tb testing.TB, name string) *har.Log {
	tb.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	l, err := har.Read(f)
	if err != nil {
		tb.Fatalf("read %s: %v", name, err)
	}
	return l
}

func TestReadShop(t *testing.T) {
	l := mustReadFile(t, "shop.har")
	if got, want := len(l.Entries), 8; got != want {
		t.Fatalf("entries = %d, want %d", got, want)
	}
	login := l.Entries[4]
	got := []string{login.Request.Method, login.Request.URL, login.Request.PostData.MimeType, login.Response.Content.MimeType, login.ResourceType}
	want := []string{"POST", "http://127.0.0.1:8080/api/login", "application/json", "application/json", "fetch"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("login entry = %q, want %q", got, want)
	}
	if got, want := login.Started, time.Date(2024, 5, 14, 9, 30, 3, 0, time.UTC); !got.Equal(want) {
		t.Errorf("started = %v, want %v", got, want)
	}
	if got, want := login.Response.Cookies[0].Value, "s3ss10n7f2c9a41e"; got != want {
		t.Errorf("cookie = %q, want %q", got, want)
	}
}

// entryJSON is a minimal entry with the given request method, URL and
// start time.
func entryJSON(method, url, started string) string {
	return `{"startedDateTime": "` + started + `", "time": 1, "request": {"method": "` + method + `", "url": "` + url +
		`", "headers": []}, "response": {"status": 200, "headers": [], "content": {"mimeType": "text/plain"}}}`
}

func TestReadErrors(t *testing.T) {
	ok := entryJSON("GET", "http://a/", "2024-05-14T09:30:00.000Z")
	tests := []struct {
		name, file, want string
	}{
		{
			name: "syntax error on line 3",
			file: "{\n  \"log\": {\n    \"entries\": [,]\n  }\n}\n",
			want: "line 3, column 17: invalid character ',' looking for beginning of value",
		},
		{
			name: "type error",
			file: "{\"log\": {\n\"entries\": [{\"request\": {\"method\": \"GET\", \"url\": 5}}]}}",
			want: "line 2, column 50: log.entries.request.url is a number, want a string",
		},
		{
			name: "top level array",
			file: "[]",
			want: "line 1, column 1: the top level is an array, want an object",
		},
		{
			name: "cut short",
			file: "{\"log\": {\"entries\": [\n" + ok,
			want: "the file ends too soon",
		},
		{name: "empty", file: "", want: "line 1, column 1: the file ends too soon"},
		{name: "no log", file: `{"entries": []}`, want: `not a HAR file: no "log" object`},
		{name: "no entries", file: `{"log": {"version": "1.2"}}`, want: `the log has no "entries" list`},
		{
			name: "bad URL",
			file: `{"log": {"entries": [` + ok + `, ` + entryJSON("GET", "::bad", "") + `]}}`,
			want: `entry 1: request.url "::bad": missing protocol scheme`,
		},
		{
			name: "relative URL",
			file: `{"log": {"entries": [` + entryJSON("GET", "/api", "") + `]}}`,
			want: `entry 0: request.url "/api": not an absolute URL`,
		},
		{
			name: "no host",
			file: `{"log": {"entries": [` + entryJSON("GET", "http:///x", "") + `]}}`,
			want: `entry 0: request.url "http:///x": no host`,
		},
		{
			name: "no method",
			file: `{"log": {"entries": [` + ok + `, ` + ok + `, ` + entryJSON("", "http://a/", "") + `]}}`,
			want: "entry 2: request.method is empty",
		},
		{
			name: "bad time",
			file: `{"log": {"entries": [` + entryJSON("GET", "http://a/", "yesterday") + `]}}`,
			want: `entry 0: startedDateTime "yesterday": not an ISO 8601 time`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := har.Read(strings.NewReader(tt.file))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if got := err.Error(); !strings.Contains(got, tt.want) {
				t.Errorf("error = %q, want it to hold %q", got, tt.want)
			}
		})
	}
}

func TestReadAccepts(t *testing.T) {
	tests := []struct {
		name, file string
		want       time.Time
	}{
		{
			name: "byte-order mark",
			file: "\xef\xbb\xbf" + `{"log": {"entries": [` + entryJSON("GET", "http://a/", "2024-05-14T09:30:00.250Z") + `]}}`,
			want: time.Date(2024, 5, 14, 9, 30, 0, 250e6, time.UTC),
		},
		{
			name: "offset without a colon",
			file: `{"log": {"entries": [` + entryJSON("GET", "http://a/", "2024-05-14T11:30:00.000+0200") + `]}}`,
			want: time.Date(2024, 5, 14, 9, 30, 0, 0, time.UTC),
		},
		{
			name: "no start time",
			file: `{"log": {"entries": [` + entryJSON("GET", "data:text/plain,hi", "") + `]}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := har.Read(strings.NewReader(tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := l.Entries[0].Started; !got.Equal(tt.want) {
				t.Errorf("started = %v, want %v", got, tt.want)
			}
		})
	}
}
