package scenarios

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"io"
	"maps"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"loadharness"
)

// A closed-model phase (warm-up or measured load) against an http target
// runs on closedDriver rather than on Vegeta's attacker. In a closed model
// each user waits for its answer before it sends again, so one goroutine
// per user, on the user's own connection, is the whole machinery: no pacer
// handing out ticks on a channel, no results channel, no URL fragment or
// response headers to carry what the targeter knew to the consumer. Each
// handoff Vegeta makes costs a goroutine wake-up, and on a 2-core machine
// shared with the target those are most of what the generator spends
// beyond the system calls of the request itself (see bench/ and its CPU
// profiles). Open models keep Vegeta: its pacer is the schedule.

// directURLs parses the constant URLs of the plan's steps once; templated
// ones (nil) are parsed per request.
func directURLs(p *plan) []*url.URL {
	urls := make([]*url.URL, len(p.steps))
	for i := range p.steps {
		if sp := &p.steps[i]; sp.url.constant() {
			if u, err := url.Parse(sp.url.parts[0]); err == nil {
				urls[i] = u
			}
		}
	}
	return urls
}

// closedDriver runs one closed-model phase.
type closedDriver struct {
	e  *engine
	ph *phase

	// mu serializes delivery: the sink is called by one goroutine at a
	// time, in the order results complete.
	mu        sync.Mutex
	results   uint64
	cancelled atomic.Bool
}

// runClosed runs ph, a closed-model phase, with one goroutine per user.
func (e *engine) runClosed(ctx context.Context, ph *phase) (phaseStats, error) {
	d := &closedDriver{e: e, ph: ph}
	var st phaseStats
	var cancelledAt atomic.Pointer[time.Time]
	stopOnCancel := context.AfterFunc(ctx, func() {
		now := time.Now()
		cancelledAt.Store(&now)
		d.cancelled.Store(true)
		ph.abort()
		e.conns.closeAll()
	})
	defer stopOnCancel()
	timer := time.AfterFunc(ph.duration, ph.finish)
	st.began = time.Now()
	ph.end = st.began.Add(ph.duration)
	if ph.onStart != nil {
		ph.onStart(st.began)
	}
	e.logf("%s: %s phase started (%d users)", e.sc.Name, ph.kind, len(e.pool.users))
	var wg sync.WaitGroup
	for _, u := range e.pool.users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.drive(u)
		}()
	}
	wg.Wait()
	st.ended = time.Now()
	timer.Stop()
	ph.finish()
	stopOnCancel()
	if at := cancelledAt.Load(); at != nil {
		st.interrupted, st.interruptedAt = true, *at
	}
	st.results = d.results
	e.seqBase += d.results
	e.logf("%s: %s phase ended: %d requests in %s", e.sc.Name, ph.kind, st.results, st.ended.Sub(st.began).Round(time.Millisecond))
	ph.errMu.Lock()
	defer ph.errMu.Unlock()
	return st, ph.err
}

// drive sends u's requests until the phase ends: each after the previous
// answered and the think time passed.
func (d *closedDriver) drive(u *user) {
	e, ph := d.e, d.ph
	var (
		res    loadharness.Result
		header = make(http.Header, 4)
		skips  int // steps skipped in a row
	)
	for {
		select {
		case <-ph.done:
			return
		default:
		}
		if !ph.waitReady(u) {
			return
		}
		si := e.plan.pickStep(u)
		sp := &e.plan.steps[si]
		if missing := sp.missing(u); missing != "" {
			// Nothing is sent, so no think time: the user goes on to its
			// next step. A user that skipped every step in a row can send
			// nothing more in this phase, and stops rather than spin.
			e.skipped(&res, u, sp, missing, time.Now())
			d.deliver(&res)
			if skips++; skips >= len(e.plan.steps)-e.plan.nSetup {
				e.logf("%s: user %d skipped every step (it lacks {{%s}}): it sends nothing more in this phase", e.sc.Name, u.id, missing)
				return
			}
			continue
		}
		skips = 0
		if err := e.exchange(u, si, header, &res); err != nil {
			ph.fail(err)
			return
		}
		u.readyAt = time.Now().Add(time.Duration(e.pool.think.Load()))
		d.deliver(&res)
	}
}

// deliver hands res to the sink, numbered in arrival order; results of an
// interrupted phase are dropped, as the requests were cut short.
func (d *closedDriver) deliver(res *loadharness.Result) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cancelled.Load() {
		return
	}
	res.Seq = d.e.seqBase + d.results
	res.Phase = d.ph.kind.resultPhase()
	d.results++
	if d.ph.deliver {
		d.e.opts.Sink.Add(res)
	}
}

// exchange sends step si as user u on its own connection, reads and checks
// the response, and fills res. header is the goroutine's reusable request
// header. The error is a harness error (an upload body that could not be
// generated); request failures are in res.
func (e *engine) exchange(u *user, si int, header http.Header, res *loadharness.Result) error {
	sp := &e.plan.steps[si]
	req, rawURL, err := e.newRequest(u, si, header)
	if err != nil {
		return err
	}
	sent := time.Now()
	e.begin(res, u, sp, rawURL, sent)
	if req == nil {
		failed(res, errBadURL, time.Now())
		return nil
	}
	addCookieHeader(header, u.cookieHeader(si, req.URL, sent))
	resp, err := u.conn.roundTrip(req, e.conns.dial, cmp.Or(sp.timeout, e.opts.Timeout))
	if err != nil {
		e.unanswered(res, u, sp, err, time.Now())
		return nil
	}
	if len(resp.Header["Set-Cookie"]) > 0 {
		u.setCookies(req.URL, resp.Cookies())
	}
	var (
		data []byte
		n    int64
	)
	if sp.needBody {
		data, n, err = readBounded(resp.Body)
	} else {
		n, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	end := time.Now()
	if err != nil {
		e.unanswered(res, u, sp, err, end)
		return nil
	}
	session, failure, dataset := e.probe.check(sp, u, resp, data, n > maxCheckedBody, end.Sub(sent))
	e.answered(res, resp, req.ContentLength, session, failure, dataset)
	finished(res, end, n)
	return nil
}

// errBadURL is the failure of a step whose URL, once the user id is in
// place, does not parse.
var errBadURL = errors.New("invalid URL")

// newRequest builds step si's request for user u, its headers in header
// (cleared first; the user's cookies are added when it is sent). It returns
// the URL as text, and a nil request when that URL does not parse. The
// error is a harness error: an upload body that could not be generated.
func (e *engine) newRequest(u *user, si int, header http.Header) (*http.Request, string, error) {
	sp := &e.plan.steps[si]
	body, err := sp.requestBody(u, si, e.uploads)
	if err != nil {
		return nil, "", err
	}
	rawURL := sp.url.parts[0]
	target := e.urls[si]
	if target == nil {
		rawURL = sp.url.expand(u)
		if target, err = url.Parse(rawURL); err != nil {
			return nil, rawURL, nil
		}
	}
	clear(header)
	maps.Copy(header, sp.requestHeader(u))
	req := &http.Request{
		Method: sp.method, URL: target, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: header, Host: target.Host,
	}
	if len(body) > 0 {
		req.ContentLength = int64(len(body))
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	}
	return req, rawURL, nil
}
