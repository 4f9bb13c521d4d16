package scenarios

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Response headers the transport adds to tell the engine what it measured
// and checked. Vegeta copies a response's headers into its Result, which is
// how they reach the goroutine that converts results.
const (
	hdrSent    = "X-Loadtest-Sent"    // send time, nanoseconds after the engine's epoch
	hdrBytes   = "X-Loadtest-Bytes"   // response body bytes
	hdrSession = "X-Loadtest-Session" // kept or lost
	hdrCheck   = "X-Loadtest-Check"   // the first failed check
)

// maxCheckedBody bounds the response body the transport reads to capture or
// check; the rest is drained and counted but not kept.
const maxCheckedBody = 16 << 20

// Shared header values. Their slices are full (len == cap), so an append by
// anyone reallocates rather than writing into the shared array.
var (
	keptValue = []string{"kept"}
	lostValue = []string{"lost"}
)

// userTransport is the RoundTripper of the attack's single http.Client. It
// makes each request a request of one virtual user: it finds the user and
// step in the URL fragment, sends the user's cookies and stores the ones the
// response sets, records the real send time (Vegeta's timestamp is taken
// before the targeter, which in a closed model waits out think time), and
// runs the step's captures and checks before the response reaches Vegeta, so
// that the user's next request already sees them. The user goes back to the
// pool when Vegeta closes the response body.
type userTransport struct {
	base  http.RoundTripper
	pool  *pool
	plan  *plan
	probe *probe
	epoch time.Time
	// dial, when set, sends each user's requests on the user's own
	// connection (userConn), each bounded by timeout; base then serves only
	// requests that are not a user's. It is nil for https targets, which
	// base serves.
	dial    dialFunc
	timeout time.Duration
}

// RoundTrip sends req as its virtual user. Vegeta builds a fresh request for
// every hit and never reuses it, so adding the user's cookies to it in place
// is safe and saves a copy per request.
func (t *userTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	id, ok := parseIdentity(req.URL.Fragment)
	var u *user
	if ok && id.step < len(t.plan.steps) {
		u = t.pool.user(id.user)
	}
	if u == nil {
		return t.base.RoundTrip(req) // not a request of ours
	}
	sp := &t.plan.steps[id.step]
	addCookieHeader(req.Header, u.cookieHeader(id.step, req.URL, time.Now()))
	sent := time.Since(t.epoch)
	var resp *http.Response
	var err error
	if t.dial != nil {
		resp, err = u.conn.roundTrip(req, t.dial, t.timeout)
	} else {
		resp, err = t.base.RoundTrip(req)
	}
	if err != nil {
		t.pool.release(u)
		return nil, err
	}
	if len(resp.Header["Set-Cookie"]) > 0 {
		u.setCookies(req.URL, resp.Cookies())
	}
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	resp.Header[hdrSent] = []string{strconv.FormatInt(int64(sent), 10)}

	body := &userBody{rc: resp.Body, r: resp.Body, header: resp.Header, pool: t.pool, u: u}
	var data []byte
	if sp.needBody {
		var n int64
		data, n, err = readBounded(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.pool.release(u)
			return nil, fmt.Errorf("read response body: %w", err)
		}
		body.rc, body.r, body.n = nil, bytes.NewReader(data), n
	}
	session, failure := t.probe.check(sp, u, resp, data, body.n > maxCheckedBody)
	switch session {
	case sessionKept:
		resp.Header[hdrSession] = keptValue
	case sessionLost:
		resp.Header[hdrSession] = lostValue
	}
	if failure != "" {
		resp.Header[hdrCheck] = []string{failure}
	}
	resp.Body = body
	return resp, nil
}

// readBounded reads up to maxCheckedBody bytes of r for checking and drains
// the rest; n counts every byte.
func readBounded(r io.Reader) (data []byte, n int64, err error) {
	data, err = io.ReadAll(io.LimitReader(r, maxCheckedBody+1))
	n = int64(len(data))
	if err == nil && n > maxCheckedBody {
		var rest int64
		rest, err = io.Copy(io.Discard, r)
		n += rest
		data = data[:maxCheckedBody]
	}
	return data, n, err
}

// userBody is a response body that counts its bytes and hands its user back
// to the pool when closed: in a closed model that is when the user starts to
// think, in an open one when it may carry another request.
type userBody struct {
	// rc is the network body; nil when the transport already read it and r
	// serves the bytes it kept.
	rc     io.ReadCloser
	r      io.Reader
	n      int64
	header http.Header
	pool   *pool
	u      *user
	closed bool
}

// Read reads the body, counting network bytes.
func (b *userBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if b.rc != nil {
		b.n += int64(n)
	}
	return n, err
}

// Close closes the network body, records the byte count in the response
// headers (Vegeta keeps none of the body: MaxBody is 0) and releases the
// user, once.
func (b *userBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	var err error
	if b.rc != nil {
		err = b.rc.Close()
	}
	b.header[hdrBytes] = []string{strconv.FormatInt(b.n, 10)}
	b.pool.release(b.u)
	return err
}
