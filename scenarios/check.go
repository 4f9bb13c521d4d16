package scenarios

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"loadharness"
	"loadharness/scenarios/suite"
)

// Short names for the session outcomes.
const (
	sessionUnchecked = loadharness.SessionUnchecked
	sessionKept      = loadharness.SessionKept
	sessionLost      = loadharness.SessionLost
	sessionUnproven  = loadharness.SessionUnproven
)

// probe is a suite.SessionProbe with its header names canonical, ready to
// read responses.
type probe struct {
	suite.SessionProbe
	instanceKey, workerKey string
	// versionKey is the canonical version header, "" when none is read.
	versionKey string
	holders    *holders
}

// newProbe prepares p.
func newProbe(p suite.SessionProbe) *probe {
	return &probe{
		SessionProbe: p,
		instanceKey:  http.CanonicalHeaderKey(p.InstanceHeader),
		workerKey:    http.CanonicalHeaderKey(p.WorkerHeader),
		versionKey:   canonicalOrEmpty(p.VersionHeader),
		holders:      newHolders(),
	}
}

// check runs the step's checks on a response, captures a new data set into
// u, and judges u's session under the rule of docs/sessions.md. It returns
// the session outcome, the first failed check ("" when none failed), and the
// data set id the response gave u ("" unless it captured or adopted one).
//
// A session-checked response of a user that holds a data set is judged
// whatever its status: one naming the user's data set proves it (kept),
// one naming another is a mix-up (lost), and one naming none (a 404, 410 or
// 5xx, say) proves nothing (unproven); the aggregates count a user lost
// whose checked responses stay unproven to the end.
func (p *probe) check(sp *stepPlan, u *user, resp *http.Response, body []byte, truncated bool, elapsed time.Duration) (session loadharness.SessionOutcome, failure, dataset string) {
	fail := func(msg string) {
		if failure == "" {
			failure = msg
		}
	}
	defer func() {
		// Extractions run whatever the other checks found: a variable
		// must be set, or removed, on every response.
		fail(sp.assert(u, resp, body, truncated, elapsed))
	}()
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
	if sp.capture {
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			id := fields.extract(p.UploadID, resp)
			if id == "" {
				fail("capture: response has no " + p.UploadID.String())
				break
			}
			p.holders.hold(id, u.id)
			u.dataset, u.checksum, u.hasDataset, u.uploadUncertain = id, fields.extract(p.UploadChecksum, resp), true, false
			dataset = id
		case resp.StatusCode == http.StatusBadGateway || resp.StatusCode == http.StatusGatewayTimeout:
			// A gateway lost the upload's answer: the upload may have
			// been stored all the same.
			u.uploadUncertain = true
		}
	}
	if !e.Session || (!u.hasDataset && !u.uploadUncertain) {
		return sessionUnchecked, failure, dataset
	}
	named := fields.extract(p.ID, resp)
	switch {
	case named == "":
		if !u.hasDataset {
			return sessionUnchecked, failure, dataset // nothing to prove yet
		}
		return sessionUnproven, failure, dataset
	case u.hasDataset && named == u.dataset:
		if p.Checksum.Kind != suite.FromNowhere && u.checksum != "" && fields.extract(p.Checksum, resp) != u.checksum {
			return sessionLost, failure, dataset
		}
		u.uploadUncertain = false
		return sessionKept, failure, dataset
	case u.uploadUncertain && p.holders.free(named, u.id):
		// The upload whose answer was lost was stored: the data set it
		// made is the user's, as no other user holds it.
		p.holders.hold(named, u.id)
		u.dataset, u.hasDataset, u.uploadUncertain = named, true, false
		u.checksum = fields.extract(p.Checksum, resp)
		return sessionKept, failure, named
	default:
		return sessionLost, failure, dataset
	}
}

// noResponse judges u's session on a request of step sp that got no
// response: an upload may have been stored with its answer lost, and a
// checked read proved nothing.
func (p *probe) noResponse(sp *stepPlan, u *user) loadharness.SessionOutcome {
	if sp.capture {
		u.uploadUncertain = true
	}
	if sp.expect.Session && u.hasDataset {
		return sessionUnproven
	}
	return sessionUnchecked
}

// holders says which user holds each data set now, so that a user whose
// upload answer was lost adopts only a data set no other user holds.
// Memory grows with users: a user's earlier data set is forgotten when it
// captures a new one.
type holders struct {
	mu     sync.Mutex
	byID   map[string]uint32
	byUser map[uint32]string
}

func newHolders() *holders {
	return &holders{byID: make(map[string]uint32), byUser: make(map[uint32]string)}
}

// hold records that user holds dataset; the first holder of an id keeps it.
func (h *holders) hold(dataset string, user uint32) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if old, ok := h.byUser[user]; ok && old != dataset && h.byID[old] == user {
		delete(h.byID, old)
	}
	h.byUser[user] = dataset
	if _, ok := h.byID[dataset]; !ok {
		h.byID[dataset] = user
	}
}

// free reports whether no user other than user holds dataset.
func (h *holders) free(dataset string, user uint32) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	holder, ok := h.byID[dataset]
	return !ok || holder == user
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

// canonicalOrEmpty is name's canonical form, "" for "".
func canonicalOrEmpty(name string) string {
	if name == "" {
		return ""
	}
	return http.CanonicalHeaderKey(name)
}
