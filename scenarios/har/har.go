// Package har reads browser recordings in the HAR 1.2 format (what a
// browser's developer tools save as "HAR") and turns one into a suite: a
// single scenario whose steps replay the recorded requests, in order,
// against the service they were recorded on.
package har

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxBytes bounds the HAR file Read accepts. Recordings with response
// bodies run to tens of megabytes; a larger file is rarely a single session.
const MaxBytes = 512 << 20

// Log is the log object of a HAR file: what the browser recorded. Only the
// fields a suite needs are kept; the rest of the file is ignored.
type Log struct {
	Version string  `json:"version"`
	Creator Creator `json:"creator"`
	Entries []Entry `json:"entries"`
}

// Creator names the program that wrote the file.
type Creator struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Entry is one request the browser made and the response it got.
type Entry struct {
	StartedDateTime string `json:"startedDateTime"`
	// Started is StartedDateTime as Read parsed it; zero when the file gives
	// none.
	Started time.Time `json:"-"`
	// Time is the whole exchange's duration in milliseconds.
	Time     float64  `json:"time"`
	Request  Request  `json:"request"`
	Response Response `json:"response"`
	// ResourceType is Chrome's name for what the request fetched ("document",
	// "script", "image", "xhr", "fetch", …). Other browsers leave it out.
	ResourceType string `json:"_resourceType"`
}

// Request is a recorded request.
type Request struct {
	Method   string    `json:"method"`
	URL      string    `json:"url"`
	Headers  []Header  `json:"headers"`
	PostData *PostData `json:"postData"`
}

// Header is one header line; a name may occur more than once.
type Header struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// PostData is a request's body. Text holds it as sent; Params holds a
// form's fields when the browser parsed them, and may be all a file has of
// a multipart body.
type PostData struct {
	MimeType string  `json:"mimeType"`
	Text     string  `json:"text"`
	Params   []Param `json:"params"`
}

// Param is one field of a form body.
type Param struct {
	Name        string `json:"name"`
	Value       string `json:"value"`
	FileName    string `json:"fileName"`
	ContentType string `json:"contentType"`
}

// Response is a recorded response. Status 0 means the browser got none
// (blocked, cancelled, or served from a service worker's cache).
type Response struct {
	Status  int      `json:"status"`
	Headers []Header `json:"headers"`
	Cookies []Cookie `json:"cookies"`
	Content Content  `json:"content"`
}

// Cookie is a cookie the response set.
type Cookie struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Content is a response's body. Text is empty when the browser did not
// save it; Encoding "base64" means Text holds it base64-encoded.
type Content struct {
	MimeType string `json:"mimeType"`
	Text     string `json:"text"`
	Encoding string `json:"encoding"`
}

// Read parses a HAR 1.2 file. A file that is not JSON, or not shaped like a
// HAR, is an error naming the line and column where reading stopped; an
// entry Read cannot use is an error naming it by its index in log.entries,
// counted from 0 as jq's .log.entries[N] does.
func Read(r io.Reader) (*Log, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read HAR: %w", err)
	}
	if len(data) > MaxBytes {
		return nil, fmt.Errorf("the HAR file is larger than %d MiB", MaxBytes>>20)
	}
	// Some Windows tools start the file with a byte-order mark, which JSON
	// does not allow.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var file struct {
		Log *Log `json:"log"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		return nil, jsonError(data, err)
	}
	l := file.Log
	if l == nil {
		return nil, errors.New(`not a HAR file: no "log" object at the top`)
	}
	if l.Entries == nil {
		return nil, errors.New(`not a HAR file: the log has no "entries" list`)
	}
	for i := range l.Entries {
		if err := readEntry(&l.Entries[i]); err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
	}
	return l, nil
}

// readEntry checks what a suite needs of an entry and parses its time.
func readEntry(e *Entry) error {
	if strings.TrimSpace(e.Request.Method) == "" {
		return errors.New("request.method is empty")
	}
	if _, err := parseURL(e.Request.URL); err != nil {
		return err
	}
	if e.StartedDateTime != "" {
		t, err := parseTime(e.StartedDateTime)
		if err != nil {
			return fmt.Errorf("startedDateTime %s: not an ISO 8601 time like 2024-05-01T10:00:00.000Z", quote(e.StartedDateTime))
		}
		e.Started = t
	}
	return nil
}

// parseURL parses a request's URL: absolute, and with a host when it is
// HTTP. Other schemes (data:, blob:, ws:) are kept for Convert to drop.
func parseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, errors.New("request.url is empty")
	}
	if !utf8.ValidString(raw) {
		return nil, fmt.Errorf("request.url %s: not UTF-8 text", quote(raw))
	}
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("request.url %s: %w", quote(raw), err)
	}
	if u.Scheme == "" {
		return nil, fmt.Errorf("request.url %s: not an absolute URL", quote(raw))
	}
	if isHTTP(u) && u.Host == "" {
		return nil, fmt.Errorf("request.url %s: no host", quote(raw))
	}
	return u, nil
}

// isHTTP reports whether u is a request a suite can replay.
func isHTTP(u *url.URL) bool {
	s := strings.ToLower(u.Scheme)
	return s == "http" || s == "https"
}

// timeLayouts are the forms of startedDateTime browsers and proxies write.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z0700"}

func parseTime(s string) (time.Time, error) {
	var err error
	for _, layout := range timeLayouts {
		var t time.Time
		if t, err = time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// jsonError says where in data a JSON error is, as line and column.
func jsonError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		msg := strings.TrimPrefix(syn.Error(), "json: ")
		if syn.Offset >= int64(len(data)) {
			msg = "the file ends too soon: " + msg
		}
		return fmt.Errorf("%s: %s", position(data, syn.Offset-1), msg)
	case errors.As(err, &typ):
		what := typ.Field
		if what == "" {
			what = "the top level"
		}
		return fmt.Errorf("%s: %s is %s, want %s", position(data, typ.Offset-1), what, article(typ.Value), jsonKind(typ.Type))
	default:
		return fmt.Errorf("parse HAR: %w", err)
	}
}

// position gives the line and column, from 1 and in characters, of the byte
// at offset.
func position(data []byte, offset int64) string {
	offset = max(0, min(offset, int64(len(data))))
	before := data[:offset]
	line := 1 + bytes.Count(before, []byte("\n"))
	col := 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
	return fmt.Sprintf("line %d, column %d", line, col)
}

// jsonKind names the JSON value a Go type is read from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.Bool:
		return "true or false"
	default:
		return t.String()
	}
}

// article turns encoding/json's "number 5" or "array" into "a number 5",
// "an array".
func article(v string) string {
	if v != "" && strings.ContainsRune("aeiou", rune(v[0])) {
		return "an " + v
	}
	return "a " + v
}

// quote quotes s for a message, cut to a readable length.
func quote(s string) string {
	const limit = 80
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return fmt.Sprintf("%q", s)
}
