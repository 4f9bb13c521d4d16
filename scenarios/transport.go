package scenarios

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"loadharness"
)

// errSkipped is the transport's answer to a skipped step's hit; its record
// is already in the user's result.
var errSkipped = errors.New("skipped")

// maxCheckedBody bounds the response body the transport reads to capture or
// check; the rest is drained and counted but not kept.
const maxCheckedBody = 16 << 20

// userTransport is the RoundTripper of the attack's single http.Client. It
// makes each request a request of one virtual user: it finds the user and
// step in the URL fragment, sends the user's cookies and stores the ones the
// response sets, records the real send time (Vegeta's timestamp is taken
// before the targeter, which in a closed model waits out think time), and
// runs the step's captures and checks before the response reaches Vegeta, so
// that the user's next request already sees them. What it measures goes
// into the user's in-flight result (user.res), which the converter
// completes; the user goes back to the pool once the converter has it.
type userTransport struct {
	e    *engine
	base http.RoundTripper
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
	e := t.e
	id, ok := parseIdentity(req.URL.Fragment)
	var u *user
	if ok && id.step < len(e.plan.steps) {
		u = e.pool.user(id.user)
	}
	if u == nil {
		return t.base.RoundTrip(req) // not a request of ours
	}
	sp := &e.plan.steps[id.step]
	if id.intended > 0 {
		// An open model's hit may be handed over up to sendLead early: it
		// goes when due.
		awaitDue(e.epoch.Add(id.intended))
	}
	sent := time.Now()
	if u.skip != "" {
		// The targeter found the user lacks a variable the step needs:
		// the hit is the step's, skipped, and nothing goes out.
		e.skipped(&u.res, u, sp, u.skip, sent)
		u.skip = ""
		return nil, errSkipped
	}
	if id.intended > 0 && e.measureLag.Load() {
		// The generator's own lag: from the due time, or from when this
		// user came free if it was still busy then (a wait for a user,
		// or for one of Vegeta's workers, which are as many, is the
		// target's doing).
		from := e.epoch.Add(id.intended)
		if u.freeSince.After(from) {
			from = u.freeSince
		}
		e.lag.record(sent.Sub(from))
	}
	// The URL is the converter's to fill, from Vegeta's copy, without a copy.
	e.begin(&u.res, u, sp, "", sent)
	addCookieHeader(req.Header, u.cookieHeader(id.step, req.URL, sent))
	var resp *http.Response
	var err error
	var stepCancel context.CancelFunc
	if t.dial != nil {
		resp, err = u.conn.roundTrip(req, t.dial, cmp.Or(sp.timeout, t.timeout))
	} else {
		if sp.timeout > 0 {
			// The client's timeout is the engine's; this step's own ends
			// with the body (userBody.Close).
			ctx, cancel := context.WithTimeout(req.Context(), sp.timeout)
			req = req.WithContext(ctx)
			defer func() {
				if resp == nil {
					cancel()
				}
			}()
			stepCancel = cancel
		}
		resp, err = t.base.RoundTrip(req)
	}
	if err != nil {
		e.unanswered(&u.res, u, sp, err, time.Now())
		return nil, err
	}
	if len(resp.Header["Set-Cookie"]) > 0 {
		u.setCookies(req.URL, resp.Cookies())
	}
	body := &userBody{rc: resp.Body, r: resp.Body, res: &u.res, cancel: stepCancel}
	var data []byte
	if sp.needBody {
		var n int64
		data, n, err = readBounded(resp.Body)
		resp.Body.Close()
		if err != nil {
			if stepCancel != nil {
				stepCancel()
			}
			err = fmt.Errorf("read response body: %w", err)
			e.unanswered(&u.res, u, sp, err, time.Now())
			return nil, err
		}
		body.rc, body.r, body.n = nil, bytes.NewReader(data), n
	}
	session, failure, dataset := e.probe.check(sp, u, resp, data, body.n > maxCheckedBody, time.Since(sent))
	e.answered(&u.res, resp, req.ContentLength, session, failure, dataset)
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

// userBody is a response body that counts its bytes and, when Vegeta
// closes it, records the end of the exchange in the user's result.
type userBody struct {
	// rc is the network body; nil when the transport already read it and r
	// serves the bytes it kept.
	rc     io.ReadCloser
	r      io.Reader
	n      int64
	res    *loadharness.Result
	closed bool
	// cancel ends the step's own timeout, if it has one.
	cancel context.CancelFunc
}

// Read reads the body, counting network bytes.
func (b *userBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if b.rc != nil {
		b.n += int64(n)
	}
	return n, err
}

// Close closes the network body and records the end time and byte count,
// once.
func (b *userBody) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	var err error
	if b.rc != nil {
		err = b.rc.Close()
	}
	finished(b.res, time.Now(), b.n)
	if b.cancel != nil {
		b.cancel()
	}
	return err
}
