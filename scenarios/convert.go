package scenarios

import (
	"strings"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"loadharness"
)

// converter completes the results of Vegeta's path. It runs on the one
// goroutine that feeds the sink and allocates nothing per result: the URL is
// a slice of Vegeta's.
type converter struct {
	e *engine
}

// convert fills out from the in-flight result of the user whose request vr
// was, completed with what only Vegeta saw, hands the user back to the pool,
// and reports whether vr was a request of this engine (the targeter's own
// stop results are not). The transport filled the user's result before
// Vegeta sent vr on its channel, so reading it here is ordered after.
func (c *converter) convert(vr *vegeta.Result, out *loadharness.Result) bool {
	e := c.e
	base, frag, ok := splitFragment(vr.URL)
	if !ok {
		return false
	}
	id, ok := parseIdentity(frag)
	if !ok || id.step >= len(e.plan.steps) {
		return false
	}
	u := e.pool.user(id.user)
	if u == nil {
		return false
	}
	if u.res.Sent.IsZero() {
		// The transport never saw the request: Vegeta could not build it.
		e.begin(&u.res, u, &e.plan.steps[id.step], base, e.epoch.Add(id.handoff))
		failed(&u.res, errBadURL, vr.End())
	}
	*out = u.res
	u.res = loadharness.Result{}
	e.pool.release(u)

	out.URL = base
	out.Seq = vr.Seq
	// A skipped step's record (Dropped) has no latency, and says why.
	if out.Latency == 0 && out.Dropped == 0 {
		out.Latency = max(vr.End().Sub(out.Sent), 0)
	}
	if vr.Error != "" && out.Dropped == 0 {
		// Vegeta's word wins: it also saw what failed after the transport
		// returned (a body cut short, the client's timeout).
		out.Error = cleanError(vr.Error, frag)
	}
	if e.sc.Load.Open() && id.intended > 0 {
		out.Intended = e.epoch.Add(id.intended)
	}
	return true
}

// release hands back, unconverted, the user of a result the phase does not
// keep (cut short by an interruption).
func (c *converter) release(vr *vegeta.Result) {
	_, frag, ok := splitFragment(vr.URL)
	if !ok {
		return
	}
	if id, ok := parseIdentity(frag); ok {
		if u := c.e.pool.user(id.user); u != nil {
			u.res = loadharness.Result{}
			c.e.pool.release(u)
		}
	}
}

// cleanError removes the identity fragment from an error's URL, so that the
// same failure reads the same on every request and groups in reports.
func cleanError(msg, frag string) string {
	i := strings.Index(msg, frag)
	if i < 1 || msg[i-1] != '#' {
		return msg
	}
	return msg[:i-1] + msg[i+len(frag):]
}
