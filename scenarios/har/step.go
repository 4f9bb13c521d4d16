package har

import (
	"fmt"
	"net/textproto"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// step is one kept request as the suite will send it.
type step struct {
	entry   int // index in log.entries
	name    string
	method  string
	path    string // path and query, a template
	headers []field
	body    *string // a raw body, a template; nil for none
	form    []field // a form body; nil for none
	status  []int   // the statuses to expect; nil for no check
	extract []extraction
	notes   []string // what to tell the user about this step
}

// field is a name and a value: a header, or a form field.
type field struct{ name, value string }

// extraction sets the user variable name from a response: kind is "json"
// (arg a gjson path), "header" or "cookie" (arg its name).
type extraction struct{ name, kind, arg string }

// newStep makes the step that replays e, or says why it cannot.
func newStep(i int, e *Entry, u *url.URL) (*step, reason) {
	st := &step{entry: i, method: strings.ToUpper(strings.TrimSpace(e.Request.Method))}
	st.path = st.literal("path", pathOf(u))
	st.headers = st.keptHeaders(e.Request.Headers)
	if pd := e.Request.PostData; pd != nil {
		if !st.setBody(pd) {
			return nil, binaryBody
		}
	}
	switch s := e.Response.Status; {
	case s == 304:
		// The browser asked with If-None-Match, which the step does not send.
		st.status = []int{200, 304}
	case s == 206:
		// The same for Range.
		st.status = []int{200, 206}
	case s >= 200 && s < 400:
		st.status = []int{s}
	default:
		st.notes = append(st.notes, fmt.Sprintf("the recorded response was %d, which the harness counts as an error", s))
	}
	return st, kept
}

// pathOf is u's path and query as a step's path: no fragment, and what a
// suite's path refuses (spaces, #) or a browser would not send raw
// (controls, non-ASCII) percent-encoded.
func pathOf(u *url.URL) string {
	p := u.RequestURI()
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == '#' || c >= 0x7f {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// keptHeaders keeps the headers that say something about the request
// itself: Authorization, Content-Type, Accept and custom X- headers. The
// browser's own (User-Agent, Accept-Encoding, sec-*, HTTP/2 pseudo-headers)
// mean nothing to the service, the connection's (Host, Content-Length,
// Connection) are the client's to set, and Cookie is the user's cookie
// jar's: it replays the cookies the service sets.
func (st *step) keptHeaders(hs []Header) []field {
	var out []field
	seen := map[string]bool{}
	for _, h := range hs {
		lower := strings.ToLower(h.Name)
		if lower != "authorization" && lower != "content-type" && lower != "accept" && !strings.HasPrefix(lower, "x-") {
			continue
		}
		name := textproto.CanonicalMIMEHeaderKey(h.Name)
		if !validHeaderName(name) || seen[lower] {
			continue
		}
		if strings.ContainsAny(h.Value, "\r\n\x00") || !utf8.ValidString(h.Value) {
			st.notes = append(st.notes, fmt.Sprintf("header %s was left out: its recorded value holds line breaks or bytes that are not text", name))
			continue
		}
		seen[lower] = true
		out = append(out, field{name, st.literal("header "+name, h.Value)})
	}
	return out
}

// setBody sets the step's body from pd, and reports false when it is
// binary: a suite holds text only.
func (st *step) setBody(pd *PostData) bool {
	mt := mediaType(pd.MimeType)
	if mt == "application/x-www-form-urlencoded" {
		if form, ok := formFields(pd); ok {
			st.form = make([]field, len(form))
			for i, f := range form {
				st.form[i] = field{f.name, st.literal("form field "+f.name, f.value)}
			}
			// The step sets its own Content-Type for a form.
			st.headers = withoutHeader(st.headers, "Content-Type")
			st.notePasswords(form)
			return true
		}
	}
	switch {
	case pd.Text != "":
		if !utf8.ValidString(pd.Text) {
			return false
		}
		body := st.literal("body", pd.Text)
		st.body = &body
		if pd.MimeType != "" && !hasHeader(st.headers, "Content-Type") && validHeaderValue(pd.MimeType) {
			st.headers = append(st.headers, field{"Content-Type", pd.MimeType})
		}
		if m := passwordJSON.FindStringSubmatch(pd.Text); m != nil {
			st.notes = append(st.notes, fmt.Sprintf("the body holds a password recorded in clear (%q): put it in an environment variable, ${NAME}", m[1]))
		}
	case len(pd.Params) > 0:
		st.notes = append(st.notes, "the browser did not save the body (a file upload?): the step sends none")
	}
	return true
}

// formFields reads a URL-encoded form from pd's text, else its params, in
// order. It reports false when a step's form cannot hold it: a field given
// twice, an empty name, a malformed encoding, bytes that are not text.
func formFields(pd *PostData) ([]field, bool) {
	var form []field
	seen := map[string]bool{}
	addField := func(k, v string) bool {
		if k == "" || seen[k] || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return false
		}
		seen[k] = true
		form = append(form, field{k, v})
		return true
	}
	if pd.Text != "" {
		for pair := range strings.SplitSeq(pd.Text, "&") {
			if pair == "" {
				continue
			}
			rawK, rawV, _ := strings.Cut(pair, "=")
			k, errK := url.QueryUnescape(rawK)
			v, errV := url.QueryUnescape(rawV)
			if errK != nil || errV != nil || !addField(k, v) {
				return nil, false
			}
		}
		return form, true
	}
	for _, p := range pd.Params {
		if p.FileName != "" {
			return nil, false
		}
		// Some browsers save params encoded, others decoded.
		k, v := p.Name, p.Value
		if s, err := url.QueryUnescape(k); err == nil {
			k = s
		}
		if s, err := url.QueryUnescape(v); err == nil {
			v = s
		}
		if !addField(k, v) {
			return nil, false
		}
	}
	return form, true
}

// passwordJSON finds a password-like key with a non-empty string value in a
// JSON body.
var passwordJSON = regexp.MustCompile(`(?i)"([a-z_]*(?:password|passwd|passphrase|secret)[a-z_]*)"\s*:\s*"[^"]`)

// notePasswords notes form fields that look like passwords.
func (st *step) notePasswords(form []field) {
	for _, f := range form {
		k := strings.ToLower(f.name)
		if f.value != "" && (strings.Contains(k, "password") || strings.Contains(k, "passwd") || k == "pwd" || k == "pass" || strings.Contains(k, "secret")) {
			st.notes = append(st.notes, fmt.Sprintf("form field %s holds a password recorded in clear: put it in an environment variable, ${NAME}", f.name))
		}
	}
}

// noteCredentials notes an Authorization header that no earlier response
// gave: a credential recorded in clear, and one that may expire.
func (st *step) noteCredentials() {
	for _, h := range st.headers {
		if h.name == "Authorization" && !strings.Contains(h.value, "{{") {
			st.notes = append(st.notes, "header Authorization holds a credential recorded in clear: put it in an environment variable, ${NAME}")
		}
	}
}

// literal returns a recorded value as a suite string. "${" would be read
// as an environment variable, so it is written "$${"; "{{" would be read as
// a placeholder and has no escape, so it is noted for the user to edit.
func (st *step) literal(what, s string) string {
	if strings.Contains(s, "{{") {
		st.notes = append(st.notes, fmt.Sprintf(`the recorded %s holds "{{", which a suite reads as a placeholder: edit it`, what))
	}
	if strings.Contains(s, "${") {
		st.notes = append(st.notes, fmt.Sprintf(`"${" in the recorded %s is written "$${" so that it is not read as an environment variable`, what))
		s = strings.ReplaceAll(s, "${", "$${")
	}
	return s
}

func hasHeader(hs []field, name string) bool {
	for _, h := range hs {
		if strings.EqualFold(h.name, name) {
			return true
		}
	}
	return false
}

func withoutHeader(hs []field, name string) []field {
	var out []field
	for _, h := range hs {
		if !strings.EqualFold(h.name, name) {
			out = append(out, h)
		}
	}
	return out
}

// validHeaderName reports whether s is an HTTP token.
func validHeaderName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

func validHeaderValue(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsAny(s, "\r\n\x00")
}

// nameSteps names each step by its method and path, "post-api-orders",
// unique in the scenario.
func nameSteps(steps []*step) {
	used := map[string]bool{}
	for _, st := range steps {
		base := strings.ToLower(st.method) + "-" + slug(st.path)
		name := base
		for n := 2; used[name]; n++ {
			suffix := "-" + strconv.Itoa(n)
			name = base[:min(len(base), 64-len(suffix))] + suffix
		}
		used[name] = true
		st.name = name
	}
}

// slug is a path without its query as a name: "/api/orders/{{id}}" is
// "api-orders-id", "/" is "root". It is at most 56 bytes, leaving room for
// the method and a suffix.
func slug(p string) string {
	p, _, _ = strings.Cut(p, "?")
	var b strings.Builder
	dash := false
	for i := 0; i < len(p) && b.Len() < 55; i++ {
		c := p[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case nameChar(c) && c != '-':
		default:
			dash = b.Len() > 0
			continue
		}
		if dash {
			b.WriteByte('-')
			dash = false
		}
		b.WriteByte(c)
	}
	if b.Len() == 0 {
		return "root"
	}
	return b.String()
}
