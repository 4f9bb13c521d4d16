package har

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/textproto"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

const (
	// minToken is the shortest value carried from a response to a request:
	// shorter ones turn up in later requests by chance. It is also the
	// length of the prefix tokens are indexed by.
	minToken = 8
	// maxTokenLen is the longest: longer strings are documents, not tokens.
	maxTokenLen = 8 << 10
	// maxTokens bounds the values looked for, so that a recording of large
	// JSON responses converts quickly.
	maxTokens = 10_000
)

// token is a value a response gave: a candidate for carrying to the
// requests that send it back.
type token struct {
	value string
	key   string // what the response called it: a JSON key, a header or cookie name
	from  *step
	kind  string // as extraction.kind
	arg   string // as extraction.arg
	name  string // the user variable, once a request used it
}

// tokens indexes the candidates found so far by their first minToken
// bytes, so that a request's text is searched in one pass.
type tokens struct {
	byPrefix map[string][]*token
	values   map[string]bool
	names    map[string]bool
	carried  []*token
}

// correlate finds values that a kept response gave and a later kept
// request sent back verbatim (a login's token, a created order's id), adds
// their extractions to the steps that got them, and writes {{NAME}} in
// their place. It returns the carried values in the order of first use.
func correlate(l *Log, steps []*step) []*token {
	t := &tokens{
		byPrefix: map[string][]*token{},
		values:   map[string]bool{},
		// {{user}} and {{row.FIELD}} are the suite's own.
		names: map[string]bool{"user": true, "row": true},
	}
	for _, st := range steps {
		st.path = t.replace(st.path)
		for i := range st.headers {
			st.headers[i].value = t.replace(st.headers[i].value)
		}
		if st.body != nil {
			b := t.replace(*st.body)
			st.body = &b
		}
		for i := range st.form {
			st.form[i].value = t.replace(st.form[i].value)
		}
		st.noteCredentials()
		t.collect(st, &l.Entries[st.entry])
	}
	return t.carried
}

// replace writes {{NAME}} for each candidate value in s. A value counts
// only whole: not preceded or followed by a letter or digit.
func (t *tokens) replace(s string) string {
	if len(t.byPrefix) == 0 {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i+minToken <= len(s); {
		tk := t.match(s, i)
		if tk == nil {
			i++
			continue
		}
		b.WriteString(s[last:i])
		if i > 0 && s[i-1] == '$' {
			// "${{" would start an environment reference: "$${" is a
			// literal "${".
			b.WriteByte('$')
		}
		b.WriteString("{{" + t.use(tk) + "}}")
		i += len(tk.value)
		last = i
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// match finds the longest candidate that starts at s[i], or nil. After a
// "{", a placeholder would read as "{{{", which no template takes.
func (t *tokens) match(s string, i int) *token {
	if i > 0 && (alnum(s[i-1]) || s[i-1] == '{') {
		return nil
	}
	var best *token
	for _, tk := range t.byPrefix[s[i:i+minToken]] {
		end := i + len(tk.value)
		if strings.HasPrefix(s[i:], tk.value) && (end == len(s) || !alnum(s[end])) &&
			(best == nil || len(tk.value) > len(best.value)) {
			best = tk
		}
	}
	return best
}

// use returns tk's variable name, naming it and adding its extraction to
// the step that got it the first time.
func (t *tokens) use(tk *token) string {
	if tk.name == "" {
		tk.name = t.newName(tk.key)
		tk.from.extract = append(tk.from.extract, extraction{tk.name, tk.kind, tk.arg})
		t.carried = append(t.carried, tk)
	}
	return tk.name
}

// newName makes a variable name of key: lowercased, other characters than
// a-z, 0-9 and _ written _, unique.
func (t *tokens) newName(key string) string {
	var b strings.Builder
	for i := 0; i < len(key) && b.Len() < 40; i++ {
		c := key[i]
		switch {
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_':
			b.WriteByte(c)
		default:
			b.WriteByte('_')
		}
	}
	base := strings.Trim(b.String(), "_")
	switch {
	case base == "":
		base = "value"
	case base[0] >= '0' && base[0] <= '9':
		base = "v_" + base
	}
	name := base
	for n := 2; t.names[name]; n++ {
		name = base + "_" + strconv.Itoa(n)
	}
	t.names[name] = true
	return name
}

// collect adds the candidates of e's response, got by st: values in a
// JSON body, token-like headers and cookies. A value the request itself
// sent is the client's, not the response's, and is left out.
func (t *tokens) collect(st *step, e *Entry) {
	own := requestText(e)
	add := func(tk *token) {
		if len(t.values) >= maxTokens || t.values[tk.value] || strings.Contains(own, tk.value) {
			return
		}
		tk.from = st
		t.values[tk.value] = true
		p := tk.value[:minToken]
		t.byPrefix[p] = append(t.byPrefix[p], tk)
	}
	for _, tk := range jsonTokens(e.Response.Content) {
		add(tk)
	}
	for _, h := range e.Response.Headers {
		lower := strings.ToLower(h.Name)
		if (strings.Contains(lower, "token") || strings.Contains(lower, "csrf") || strings.Contains(lower, "xsrf")) &&
			validHeaderName(h.Name) && looksLikeToken(true, h.Value) {
			name := textproto.CanonicalMIMEHeaderKey(h.Name)
			add(&token{value: h.Value, key: h.Name, kind: "header", arg: name})
		}
	}
	for _, c := range responseCookies(e.Response) {
		if validHeaderName(c.Name) && looksLikeToken(true, c.Value) {
			add(&token{value: c.Value, key: c.Name, kind: "cookie", arg: c.Name})
		}
	}
}

// requestText is everything a request sent that a value could be in.
func requestText(e *Entry) string {
	var b strings.Builder
	b.WriteString(e.Request.URL)
	for _, h := range e.Request.Headers {
		b.WriteString("\n" + h.Value)
	}
	if pd := e.Request.PostData; pd != nil {
		b.WriteString("\n" + pd.Text)
		for _, p := range pd.Params {
			b.WriteString("\n" + p.Value)
		}
	}
	return b.String()
}

// jsonTokens finds the candidates in a JSON body: strings under a key that
// names a token or an id, and long token-like strings under any key. Those
// under a telling key come first, then the shallower.
func jsonTokens(c Content) []*token {
	text := c.Text
	if strings.EqualFold(c.Encoding, "base64") {
		b, err := base64.StdEncoding.DecodeString(text)
		if err != nil {
			return nil
		}
		text = string(b)
	}
	trimmed := strings.TrimSpace(text)
	// encoding/json reads bad UTF-8 as U+FFFD, which no path would find.
	if trimmed == "" || trimmed[0] != '{' && trimmed[0] != '[' || !utf8.ValidString(trimmed) {
		return nil
	}
	dec := json.NewDecoder(strings.NewReader(trimmed))
	dec.UseNumber()
	var doc any
	if dec.Decode(&doc) != nil {
		return nil
	}
	type found struct {
		tk      *token
		telling bool
		depth   int
	}
	var all []found
	var walk func(v any, path []string, key string)
	walk = func(v any, path []string, key string) {
		if len(all) >= maxTokens {
			return
		}
		switch v := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				if k == "" {
					continue // a gjson path cannot name it
				}
				walk(v[k], append(path, gjsonEscape(k)), k)
			}
		case []any:
			for i, item := range v {
				walk(item, append(path, strconv.Itoa(i)), key)
			}
		case string:
			if len(path) == 0 {
				return
			}
			telling := tokenKey(key)
			if looksLikeToken(telling, v) {
				p := strings.Join(path, ".")
				all = append(all, found{&token{value: v, key: key, kind: "json", arg: p}, telling, len(path)})
			}
		}
	}
	walk(doc, nil, "")
	slices.SortStableFunc(all, func(a, b found) int {
		if a.telling != b.telling {
			if a.telling {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.depth, b.depth)
	})
	out := make([]*token, len(all))
	for i, f := range all {
		out[i] = f.tk
	}
	return out
}

// tokenChars are the characters of tokens and ids: base64, base64url, JWTs.
var tokenChars = regexp.MustCompile(`^[A-Za-z0-9._~+/=-]+$`)

// looksLikeToken reports whether v is worth carrying: token characters, at
// least minToken long, not a path. Under a telling key it needs a digit or
// 16 characters; under any other, both, so that words and types
// ("application/json") stay.
func looksLikeToken(telling bool, v string) bool {
	if len(v) < minToken || len(v) > maxTokenLen || !tokenChars.MatchString(v) ||
		v[0] == '/' || strings.Contains(v, "//") {
		return false
	}
	digit := strings.ContainsAny(v, "0123456789")
	if telling {
		return digit || len(v) >= 16
	}
	return digit && len(v) >= 16
}

// tokenKeys are JSON keys that name a token or an id.
var tokenKeys = []string{
	"token", "access_token", "id_token", "refresh_token", "csrf", "csrf_token", "csrftoken", "_csrf",
	"xsrf", "xsrf_token", "session", "session_id", "sessionid", "sid", "jwt", "id", "uuid", "nonce", "key",
}

// tokenKey reports whether a JSON key names a token or an id: one of
// tokenKeys, or ending in token, _id or Id.
func tokenKey(key string) bool {
	lower := strings.ToLower(key)
	return slices.Contains(tokenKeys, lower) || strings.HasSuffix(lower, "token") ||
		strings.HasSuffix(lower, "_id") || strings.HasSuffix(key, "Id") || strings.HasSuffix(key, "ID")
}

// responseCookies are the cookies r set: its cookies list, else its
// Set-Cookie headers.
func responseCookies(r Response) []Cookie {
	if len(r.Cookies) > 0 {
		return r.Cookies
	}
	var out []Cookie
	for _, h := range r.Headers {
		if !strings.EqualFold(h.Name, "Set-Cookie") {
			continue
		}
		pair, _, _ := strings.Cut(h.Value, ";")
		name, value, ok := strings.Cut(pair, "=")
		if name = strings.TrimSpace(name); ok && name != "" {
			out = append(out, Cookie{Name: name, Value: strings.Trim(strings.TrimSpace(value), `"`)})
		}
	}
	return out
}

// gjsonEscape escapes a key for a gjson path as gjson.Escape does: a
// backslash before every character other than letters, digits, _, - and
// :, so that "a.b" is one key and @, #, *, ? mean nothing.
func gjsonEscape(key string) string {
	var b strings.Builder
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !alnum(c) && c > ' ' && c <= '~' && c != '_' && c != '-' && c != ':' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	return b.String()
}

func alnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}
