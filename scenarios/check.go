package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"loadharness"
	"loadharness/scenarios/suite"
)

// Short names for the session outcomes.
const (
	sessionUnchecked = loadharness.SessionUnchecked
	sessionKept      = loadharness.SessionKept
	sessionLost      = loadharness.SessionLost
)

// probe is a suite.SessionProbe with its header names canonical, ready to
// read responses.
type probe struct {
	suite.SessionProbe
	instanceKey, workerKey string
}

// newProbe prepares p.
func newProbe(p suite.SessionProbe) *probe {
	return &probe{
		SessionProbe: p,
		instanceKey:  http.CanonicalHeaderKey(p.InstanceHeader),
		workerKey:    http.CanonicalHeaderKey(p.WorkerHeader),
	}
}

// check runs the step's checks on a response, captures a new data set into
// u, and judges u's session. It returns the session outcome and the first
// failed check ("" when none failed).
//
// The session is judged only on responses that can speak about it: not on a
// 5xx, 408 or 429, which say the server could not answer (counted as errors
// instead), and not before the user captured a data set.
func (p *probe) check(sp *stepPlan, u *user, resp *http.Response, body []byte, truncated bool) (loadharness.SessionOutcome, string) {
	var failure string
	fail := func(msg string) {
		if failure == "" {
			failure = msg
		}
	}
	e := &sp.expect
	if len(e.Status) > 0 && !slices.Contains(e.Status, resp.StatusCode) {
		fail(statusFailure(resp.StatusCode, e.Status))
	}
	if e.ContentType != "" {
		if ct := resp.Header.Get("Content-Type"); !hasPrefixFold(ct, e.ContentType) {
			fail(fmt.Sprintf("content-type %q, want %s", truncate(ct, 60), e.ContentType))
		}
	}
	if e.BodyContains != "" {
		switch {
		case truncated:
			fail(fmt.Sprintf("body over %d MiB not checked", maxCheckedBody>>20))
		case !bytes.Contains(body, []byte(e.BodyContains)):
			fail(fmt.Sprintf("body lacks %q", truncate(e.BodyContains, 60)))
		}
	}
	fields := jsonFields{body: body}
	if sp.capture && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		id := fields.extract(p.UploadID, resp)
		if id == "" {
			fail("capture: response has no " + p.UploadID.String())
		} else {
			u.dataset, u.checksum, u.hasDataset = id, fields.extract(p.UploadChecksum, resp), true
		}
	}
	session := sessionUnchecked
	if e.Session && u.hasDataset && judgesSession(resp.StatusCode) {
		session = sessionKept
		if fields.extract(p.ID, resp) != u.dataset {
			session = sessionLost
		} else if p.Checksum.Kind != suite.FromNowhere && u.checksum != "" && fields.extract(p.Checksum, resp) != u.checksum {
			session = sessionLost
		}
	}
	return session, failure
}

// judgesSession reports whether a response with this status can tell whether
// the session still holds the user's data set.
func judgesSession(code int) bool {
	return code < 500 && code != http.StatusRequestTimeout && code != http.StatusTooManyRequests
}

// statusFailure describes an unexpected status, in a form that groups well.
func statusFailure(got int, want []int) string {
	if len(want) == 1 {
		return fmt.Sprintf("status %d, want %d", got, want[0])
	}
	return fmt.Sprintf("status %d, want one of %v", got, want)
}

// hasPrefixFold reports whether s begins with prefix, ignoring case (media
// types are case-insensitive).
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// jsonFields reads top-level fields of a JSON body, parsing it at most once.
type jsonFields struct {
	body   []byte
	parsed bool
	fields map[string]json.RawMessage
}

// extract returns the value src names in the response: a header, or a JSON
// field (strings unquoted, numbers as written). "" when absent.
func (f *jsonFields) extract(src suite.Source, resp *http.Response) string {
	switch src.Kind {
	case suite.FromHeader:
		if v := resp.Header[src.Name]; len(v) > 0 {
			return v[0]
		}
		return ""
	case suite.FromJSON:
		if !f.parsed {
			f.parsed = true
			_ = json.Unmarshal(f.body, &f.fields) // not JSON: every field is absent
		}
		raw, ok := f.fields[src.Name]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		if string(raw) == "null" {
			return ""
		}
		return string(bytes.TrimSpace(raw))
	default:
		return ""
	}
}

// truncate shortens s for a message.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
