package har_test

import (
	"bytes"
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"loadharness/scenarios/har"
	"loadharness/scenarios/suite"
)

// FuzzRead checks that Read never panics, and that what it accepts Convert
// either refuses or turns into a suite the parser takes, unless a warning
// says the recording holds "{{", which a suite cannot escape.
func FuzzRead(f *testing.F) {
	shop, err := os.ReadFile("testdata/shop.har")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(shop)
	f.Add([]byte(`{"log": {"entries": []}}`))
	f.Add([]byte(`{"log": {"entries": [{"request": {"method": "POST", "url": "http://a/x?y=1", "postData": {"mimeType": "application/x-www-form-urlencoded", "text": "a=1&b=%20"}}, "response": {"status": 200, "content": {"text": "{\"id\": \"abc123456789\"}"}}}, {"request": {"method": "GET", "url": "http://a/y/abc123456789"}, "response": {"status": 200}}]}}`))
	f.Add([]byte("{\n  \"log\": {\n    \"entries\": [,]\n  }\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := har.Read(bytes.NewReader(data))
		if err != nil {
			if l != nil {
				t.Fatalf("Read returned a log and an error: %v", err)
			}
			return
		}
		for _, o := range []har.Options{{}, {IncludeAssets: true, Name: "fuzz"}} {
			text, warnings, err := har.Convert(l, o)
			if err != nil {
				if text != nil {
					t.Fatalf("Convert returned text and an error: %v", err)
				}
				continue
			}
			var doc yaml.Node
			if err := yaml.Unmarshal(text, &doc); err != nil {
				t.Fatalf("the suite is not YAML: %v\n%s", err, text)
			}
			if slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, `"{{"`) }) {
				continue
			}
			if _, err := suite.Parse("fuzz.yaml", text); err != nil {
				t.Fatalf("the suite does not parse:\n%v\n%s", err, text)
			}
		}
	})
}

// FuzzConvert builds recordings field by field, which reaches more of
// Convert than mutated JSON does, and checks what FuzzRead checks.
func FuzzConvert(f *testing.F) {
	f.Add("POST", "http://127.0.0.1:8080/api/login", "application/json", `{"email":"a@example.com","password":"pw"}`, 200,
		`{"token":"eyJhbGciOiJIUzI1NiJ9.abcdefghijklmnop.qrstuvwxyz012345"}`,
		"http://127.0.0.1:8080/api/orders?t=eyJhbGciOiJIUzI1NiJ9.abcdefghijklmnop.qrstuvwxyz012345", "Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.abcdefghijklmnop.qrstuvwxyz012345")
	f.Add("post", "http://a/f", "application/x-www-form-urlencoded", "a=1&b=%24%7B", 304, `{"id":"abc123456789"}`, "http://a/${abc123456789}", "x-id", "{abc123456789}")
	f.Add("GET", "https://a:8443/x#frag", "multipart/form-data", "", 0, `[{"a.b":["0000000000000000"]}]`, "http://a/ 0000000000000000", "X-\x00", "\u2028")
	f.Fuzz(func(t *testing.T, method, url1, mime, body string, status int, response, url2, hname, hvalue string) {
		l := &har.Log{Entries: []har.Entry{
			{
				Request:  har.Request{Method: method, URL: url1, PostData: &har.PostData{MimeType: mime, Text: body}},
				Response: har.Response{Status: status, Content: har.Content{MimeType: "application/json", Text: response}},
			},
			{
				Request:  har.Request{Method: "GET", URL: url2, Headers: []har.Header{{Name: hname, Value: hvalue}, {Name: "X-Body", Value: body}}},
				Response: har.Response{Status: 200},
			},
		}}
		text, warnings, err := har.Convert(l, har.Options{Hosts: []string{"a", "127.0.0.1"}})
		if err != nil {
			return
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(text, &doc); err != nil {
			t.Fatalf("the suite is not YAML: %v\n%s", err, text)
		}
		if slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, `"{{"`) }) {
			return
		}
		if _, err := suite.Parse("fuzz.yaml", text); err != nil {
			t.Fatalf("the suite does not parse:\n%v\n%s", err, text)
		}
	})
}
