package scenarios

import (
	"bytes"
	"cmp"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"loadharness/datagen"
	"loadharness/scenarios/suite"
)

// uploadBoundary separates multipart parts. It is fixed so that a user's
// upload body is the same bytes every time; generated CSV never contains it.
const uploadBoundary = "loadharness-7d1c9e0b5a3f4e2d8c6b"

// uploadCacheBytes bounds the upload bodies kept in memory across all users;
// beyond it bodies are generated for each request instead.
const uploadCacheBytes = 64 << 20

// template is text with the user id put in place of each suite.Placeholder:
// the parts between placeholders. One part means no placeholder.
type template []string

// newTemplate splits s at its placeholders.
func newTemplate(s string) template { return strings.Split(s, suite.Placeholder) }

// constant reports whether the template holds no placeholder.
func (t template) constant() bool { return len(t) == 1 }

// expand returns the text for user id.
func (t template) expand(id uint32) string {
	if len(t) == 1 {
		return t[0]
	}
	var b strings.Builder
	digits := strconv.FormatUint(uint64(id), 10)
	for i, part := range t {
		if i > 0 {
			b.WriteString(digits)
		}
		b.WriteString(part)
	}
	return b.String()
}

// bodyKind says how a step's request body is made.
type bodyKind uint8

const (
	bodyNone bodyKind = iota
	bodyStatic
	bodyTemplate
	bodyForm
	bodyUpload
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

	kind   bodyKind
	static []byte
	body   template
	form   map[string]template
	upload *suite.Upload

	capture bool
	// needBody: the transport must read the body to check or capture.
	needBody bool
	expect   suite.Expect
	weight   int
}

// plan is a scenario's steps compiled: the setup steps, then the main ones.
type plan struct {
	steps  []stepPlan
	nSetup int
	// cumWeights are the running totals of the main steps' weights.
	cumWeights []int
}

// compile builds the plan of sc against baseURL.
func compile(sc *suite.Scenario, baseURL string, probe suite.SessionProbe) (plan, error) {
	base := strings.TrimSuffix(baseURL, "/")
	var p plan
	for i, list := range [][]suite.Step{sc.Setup, sc.Steps} {
		for _, st := range list {
			sp, err := compileStep(st, base, probe)
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
func compileStep(st suite.Step, base string, probe suite.SessionProbe) (stepPlan, error) {
	if !strings.HasPrefix(st.Path, "/") {
		return stepPlan{}, fmt.Errorf("path %q does not start with /", st.Path)
	}
	sp := stepPlan{
		name: st.Name, method: cmp.Or(st.Method, http.MethodGet), url: newTemplate(base + st.Path),
		header: http.Header{}, capture: st.Capture, expect: st.Expect, weight: st.Weight,
		upload: st.Upload,
	}
	switch {
	case st.Upload != nil:
		sp.kind = bodyUpload
		sp.header.Set("Content-Type", "multipart/form-data; boundary="+uploadBoundary)
	case st.Form != nil:
		sp.header.Set("Content-Type", "application/x-www-form-urlencoded")
		sp.form = map[string]template{}
		constant := true
		for k, v := range st.Form {
			sp.form[k] = newTemplate(v)
			constant = constant && sp.form[k].constant()
		}
		if constant {
			sp.kind, sp.static = bodyStatic, formBody(sp.form, 0)
		} else {
			sp.kind = bodyForm
		}
	case st.Body != "":
		sp.body = newTemplate(st.Body)
		if sp.body.constant() {
			sp.kind, sp.static = bodyStatic, []byte(st.Body)
		} else {
			sp.kind = bodyTemplate
		}
	}
	for k, v := range st.Headers {
		if t := newTemplate(v); !t.constant() {
			if sp.headerTemplates == nil {
				sp.headerTemplates = map[string]template{}
			}
			sp.headerTemplates[http.CanonicalHeaderKey(k)] = t
			continue
		}
		sp.header.Set(k, v)
	}
	bodyFrom := func(s suite.Source) bool { return s.Kind == suite.FromJSON }
	sp.needBody = st.Expect.BodyContains != "" ||
		(st.Capture && (bodyFrom(probe.UploadID) || bodyFrom(probe.UploadChecksum))) ||
		(st.Expect.Session && (bodyFrom(probe.ID) || bodyFrom(probe.Checksum)))
	return sp, nil
}

// formBody encodes a form for user id, fields sorted by name.
func formBody(form map[string]template, id uint32) []byte {
	vals := make(url.Values, len(form))
	for k, t := range form {
		vals.Set(k, t.expand(id))
	}
	return []byte(vals.Encode())
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
		return []byte(sp.body.expand(u.id)), nil
	case bodyForm:
		return formBody(sp.form, u.id), nil
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
		h[k] = []string{t.expand(u.id)}
	}
	return h
}

// pickStep returns the index (into plan.steps) of u's next main step.
func (p *plan) pickStep(u *user) int {
	n := len(p.steps) - p.nSetup
	if u.rng != nil && n > 1 {
		r := u.rng.IntN(p.cumWeights[n-1])
		i, _ := slices.BinarySearch(p.cumWeights, r+1)
		return p.nSetup + i
	}
	i := u.next % n
	u.next = i + 1
	return p.nSetup + i
}
