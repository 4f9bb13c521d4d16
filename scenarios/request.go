package scenarios

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"loadharness/datagen"
	"loadharness/scenarios/suite"
)

// uploadBoundary separates multipart parts. It is fixed so that a user's
// upload body is the same bytes every time; generated CSV never contains it.
const uploadBoundary = "loadharness-7d1c9e0b5a3f4e2d8c6b"

// uploadCacheBytes bounds the upload bodies kept in memory across all users;
// beyond it bodies are generated for each request instead.
const uploadCacheBytes = 64 << 20

// escape says how a placeholder's value is written into its template.
type escape uint8

const (
	// escNone writes the value as it is (a path, a header, a raw body).
	escNone escape = iota
	// escJSON writes it JSON-escaped: it sits inside a JSON string.
	escJSON
	// escQuery writes it query-escaped: it sits in a URL's query.
	escQuery
)

// hole is a compiled placeholder.
type hole struct {
	kind suite.HoleKind
	// name is the variable; field the row field's index.
	name  string
	field int
	esc   escape
}

// template is text with placeholders filled per user: parts[i] comes before
// holes[i], so a template with no placeholder is parts[0] alone.
type template struct {
	parts []string
	holes []hole
	rows  [][]string
}

// compileTemplate parses s (a suite has checked it) against the scenario's
// data. In a URL, a placeholder after the "?" is query-escaped.
func compileTemplate(s string, data *suite.Data, esc escape, isURL bool) (template, error) {
	pt, err := suite.ParseTemplate(s)
	if err != nil {
		return template{}, err
	}
	t := template{parts: pt.Parts}
	if data != nil {
		t.rows = data.Rows
	}
	inQuery := false
	for i, h := range pt.Holes {
		inQuery = inQuery || strings.Contains(pt.Parts[i], "?")
		ch := hole{kind: h.Kind, name: h.Name, esc: esc}
		if isURL && inQuery {
			ch.esc = escQuery
		}
		if h.Kind == suite.HoleRow {
			if data == nil || data.Field(h.Name) < 0 {
				return template{}, fmt.Errorf("%s: the scenario's data has no such field", h)
			}
			ch.field = data.Field(h.Name)
		}
		t.holes = append(t.holes, ch)
	}
	return t, nil
}

// mustTemplate is a template of text with no placeholder.
func literal(s string) template { return template{parts: []string{s}} }

// constant reports whether the template holds no placeholder.
func (t template) constant() bool { return len(t.holes) == 0 }

// vars lists the user variables the template needs.
func (t template) vars() []string {
	var names []string
	for _, h := range t.holes {
		if h.kind == suite.HoleVar && !slices.Contains(names, h.name) {
			names = append(names, h.name)
		}
	}
	return names
}

// expand returns the text for user u.
func (t template) expand(u *user) string {
	if len(t.holes) == 0 {
		return t.parts[0]
	}
	return string(t.appendTo(nil, u))
}

// appendTo appends the text for user u to b.
func (t template) appendTo(b []byte, u *user) []byte {
	b = append(b, t.parts[0]...)
	for i, h := range t.holes {
		var v string
		switch h.kind {
		case suite.HoleUser:
			b = strconv.AppendUint(b, uint64(u.id), 10)
			b = append(b, t.parts[i+1]...)
			continue
		case suite.HoleRow:
			if len(t.rows) > 0 {
				v = t.rows[u.row%len(t.rows)][h.field]
			}
		case suite.HoleVar:
			v = u.vars[h.name]
		}
		switch h.esc {
		case escJSON:
			q, _ := json.Marshal(v)
			b = append(b, q[1:len(q)-1]...)
		case escQuery:
			b = append(b, url.QueryEscape(v)...)
		default:
			b = append(b, v...)
		}
		b = append(b, t.parts[i+1]...)
	}
	return b
}

// bodyKind says how a step's request body is made.
type bodyKind uint8

const (
	bodyNone bodyKind = iota
	bodyStatic
	bodyTemplate
	bodyForm
	bodyUpload
	bodyMultipart
)

// stepPlan is a step compiled for sending: everything that does not depend on
// the user is computed once.
type stepPlan struct {
	name   string
	method string
	// url is the base URL joined to the path.
	url    template
	header http.Header
	// headerTemplates are header values that hold a placeholder.
	headerTemplates map[string]template

	kind      bodyKind
	static    []byte
	body      template
	form      map[string]template
	multipart []multipartPart
	upload    *suite.Upload

	capture bool
	// needBody: the transport must read the body to check or capture.
	needBody bool
	expect   suite.Expect
	weight   int
	// timeout bounds the step's requests; 0 takes the engine's.
	timeout time.Duration
	// needs are the user variables the step's request uses: a user
	// without one of them skips the step.
	needs   []string
	extract []suite.Extraction
	checks  []suite.Check
}

// multipartPart is one part of a multipart body.
type multipartPart struct {
	name, file string
	value      template
}

// plan is a scenario's steps compiled: the setup steps, then the main ones.
type plan struct {
	steps  []stepPlan
	nSetup int
	// cumWeights are the running totals of the main steps' weights.
	cumWeights []int
	// data and order say which row of test data a user holds.
	data  *suite.Data
	order string
}

// compile builds the plan of sc against baseURL.
func compile(sc *suite.Scenario, baseURL string, probe suite.SessionProbe) (plan, error) {
	base := strings.TrimSuffix(baseURL, "/")
	p := plan{data: sc.Data}
	if sc.Data != nil {
		p.order = sc.Data.Order
	}
	for i, list := range [][]suite.Step{sc.Setup, sc.Steps} {
		for _, st := range list {
			sp, err := compileStep(st, base, probe, sc.Data)
			if err != nil {
				return plan{}, fmt.Errorf("step %q: %w", st.Name, err)
			}
			p.steps = append(p.steps, sp)
			if i == 0 {
				p.nSetup++
			}
		}
	}
	total := 0
	for _, sp := range p.steps[p.nSetup:] {
		total += max(sp.weight, 1)
		p.cumWeights = append(p.cumWeights, total)
	}
	return p, nil
}

// compileStep builds one step's plan.
func compileStep(st suite.Step, base string, probe suite.SessionProbe, data *suite.Data) (stepPlan, error) {
	if !strings.HasPrefix(st.Path, "/") {
		return stepPlan{}, fmt.Errorf("path %q does not start with /", st.Path)
	}
	u, err := compileTemplate(base+st.Path, data, escNone, true)
	if err != nil {
		return stepPlan{}, fmt.Errorf("path: %w", err)
	}
	sp := stepPlan{
		name: st.Name, method: cmp.Or(st.Method, http.MethodGet), url: u,
		header: http.Header{}, capture: st.Capture, expect: st.Expect, weight: st.Weight,
		upload: st.Upload, timeout: st.Timeout, extract: st.Extract, checks: st.Checks,
	}
	needs := u.vars()
	switch {
	case st.Upload != nil:
		sp.kind = bodyUpload
		sp.header.Set("Content-Type", "multipart/form-data; boundary="+uploadBoundary)
	case st.Multipart != nil:
		sp.kind = bodyMultipart
		sp.header.Set("Content-Type", "multipart/form-data; boundary="+uploadBoundary)
		for _, f := range st.Multipart {
			part := multipartPart{name: f.Name, file: f.File, value: literal(f.Value)}
			if f.File == "" {
				if part.value, err = compileTemplate(f.Value, data, escNone, false); err != nil {
					return stepPlan{}, fmt.Errorf("multipart %s: %w", f.Name, err)
				}
				needs = append(needs, part.value.vars()...)
			}
			sp.multipart = append(sp.multipart, part)
		}
	case st.Form != nil:
		sp.header.Set("Content-Type", "application/x-www-form-urlencoded")
		sp.form = map[string]template{}
		constant := true
		for k, v := range st.Form {
			if sp.form[k], err = compileTemplate(v, data, escNone, false); err != nil {
				return stepPlan{}, fmt.Errorf("form %s: %w", k, err)
			}
			constant = constant && sp.form[k].constant()
			needs = append(needs, sp.form[k].vars()...)
		}
		if constant {
			sp.kind, sp.static = bodyStatic, formBody(sp.form, nil)
		} else {
			sp.kind = bodyForm
		}
	case st.Body != "":
		esc := escNone
		if st.BodyJSON {
			esc = escJSON
			sp.header.Set("Content-Type", "application/json")
		}
		if sp.body, err = compileTemplate(st.Body, data, esc, false); err != nil {
			return stepPlan{}, fmt.Errorf("body: %w", err)
		}
		needs = append(needs, sp.body.vars()...)
		if sp.body.constant() {
			sp.kind, sp.static = bodyStatic, []byte(st.Body)
		} else {
			sp.kind = bodyTemplate
		}
	}
	for k, v := range st.Headers {
		t, err := compileTemplate(v, data, escNone, false)
		if err != nil {
			return stepPlan{}, fmt.Errorf("header %s: %w", k, err)
		}
		if !t.constant() {
			if sp.headerTemplates == nil {
				sp.headerTemplates = map[string]template{}
			}
			sp.headerTemplates[http.CanonicalHeaderKey(k)] = t
			sp.header.Del(k)
			needs = append(needs, t.vars()...)
			continue
		}
		sp.header.Set(k, v)
	}
	slices.Sort(needs)
	sp.needs = slices.Compact(needs)
	bodyFrom := func(s suite.Source) bool { return s.Kind == suite.FromJSON }
	sp.needBody = st.Expect.BodyContains != "" ||
		(st.Capture && (bodyFrom(probe.UploadID) || bodyFrom(probe.UploadChecksum))) ||
		(st.Expect.Session && (bodyFrom(probe.ID) || bodyFrom(probe.Checksum)))
	for _, e := range st.Extract {
		sp.needBody = sp.needBody || e.From == suite.FromJSONPath || e.From == suite.FromRegex
	}
	for _, c := range st.Checks {
		// Latency and size are known once the body is read.
		sp.needBody = sp.needBody || c.Kind != suite.CheckHeader
	}
	return sp, nil
}

// missing returns a variable the step needs that u does not have, or "".
func (sp *stepPlan) missing(u *user) string {
	for _, name := range sp.needs {
		if _, ok := u.vars[name]; !ok {
			return name
		}
	}
	return ""
}

// formBody encodes a form for user u (nil when every value is constant),
// fields sorted by name.
func formBody(form map[string]template, u *user) []byte {
	vals := make(url.Values, len(form))
	for k, t := range form {
		if u == nil {
			vals.Set(k, t.parts[0])
			continue
		}
		vals.Set(k, t.expand(u))
	}
	return []byte(vals.Encode())
}

// multipartBody writes the step's multipart form for user u.
func (sp *stepPlan) multipartBody(u *user) ([]byte, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary(uploadBoundary); err != nil {
		return nil, fmt.Errorf("multipart body: %w", err)
	}
	for _, p := range sp.multipart {
		var w io.Writer
		var err error
		if p.file != "" {
			w, err = mw.CreateFormFile(p.name, p.file)
		} else {
			w, err = mw.CreateFormField(p.name)
		}
		if err == nil {
			_, err = io.WriteString(w, p.value.expand(u))
		}
		if err != nil {
			return nil, fmt.Errorf("multipart body: %w", err)
		}
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("multipart body: %w", err)
	}
	return buf.Bytes(), nil
}

// uploadCache budgets the memory that users' upload bodies may take.
type uploadCache struct {
	left atomic.Int64
}

// newUploadCache allows bytes of cached bodies.
func newUploadCache(bytes int64) *uploadCache {
	c := &uploadCache{}
	c.left.Store(bytes)
	return c
}

// reserve takes n bytes from the budget, reporting whether they were left.
func (c *uploadCache) reserve(n int64) bool {
	if c.left.Add(-n) >= 0 {
		return true
	}
	c.left.Add(n)
	return false
}

// requestBody returns the body of step si for user u. Upload bodies depend
// only on the user, so they are cached on the user while the budget lasts.
func (sp *stepPlan) requestBody(u *user, si int, cache *uploadCache) ([]byte, error) {
	switch sp.kind {
	case bodyStatic:
		return sp.static, nil
	case bodyTemplate:
		return sp.body.appendTo(nil, u), nil
	case bodyForm:
		return formBody(sp.form, u), nil
	case bodyMultipart:
		return sp.multipartBody(u)
	case bodyUpload:
		if b, ok := u.uploads[si]; ok {
			return b, nil
		}
		b, err := uploadBody(sp.upload, u.id)
		if err != nil {
			return nil, err
		}
		if cache.reserve(int64(len(b))) {
			if u.uploads == nil {
				u.uploads = map[int][]byte{}
			}
			u.uploads[si] = b
		}
		return b, nil
	default:
		return nil, nil
	}
}

// uploadBody is a multipart form holding the generated data set of user id.
func uploadBody(up *suite.Upload, id uint32) ([]byte, error) {
	csv, err := datagen.Bytes(datagen.Spec{Rows: up.Rows, Indicators: up.Indicators, Seed: int64(id)})
	if err != nil {
		return nil, fmt.Errorf("generate upload: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(len(csv) + 512)
	mw := multipart.NewWriter(&buf)
	if err := mw.SetBoundary(uploadBoundary); err != nil {
		return nil, fmt.Errorf("generate upload: %w", err)
	}
	part, err := mw.CreateFormFile(cmp.Or(up.Field, suite.DefaultUploadField), "vu-"+strconv.FormatUint(uint64(id), 10)+".csv")
	if err != nil {
		return nil, fmt.Errorf("generate upload: %w", err)
	}
	if _, err := part.Write(csv); err != nil {
		return nil, fmt.Errorf("generate upload: %w", err)
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("generate upload: %w", err)
	}
	return buf.Bytes(), nil
}

// requestHeader returns the headers of step sp for user u: the shared map
// when no value depends on the user (Vegeta copies it into each request).
func (sp *stepPlan) requestHeader(u *user) http.Header {
	if sp.headerTemplates == nil {
		return sp.header
	}
	h := sp.header.Clone()
	for k, t := range sp.headerTemplates {
		h[k] = []string{t.expand(u)}
	}
	return h
}

// pickStep returns the index (into plan.steps) of u's next main step.
func (p *plan) pickStep(u *user) int {
	n := len(p.steps) - p.nSetup
	if u.rng != nil && n > 1 {
		p.nextPass(u)
		r := u.rng.IntN(p.cumWeights[n-1])
		i, _ := slices.BinarySearch(p.cumWeights, r+1)
		return p.nSetup + i
	}
	i := u.next % n
	if i == 0 {
		p.nextPass(u)
	}
	u.next = i + 1
	return p.nSetup + i
}
