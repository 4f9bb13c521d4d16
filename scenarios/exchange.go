package scenarios

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"loadharness"
)

// The functions below are the one place a request's Result is built, by
// both drivers: the closed driver calls them as its exchange goes, and on
// Vegeta's path the transport calls them into the user's in-flight result,
// which the converter completes with what only Vegeta saw (its sequence
// number, and an error met while it read the body).

// begin starts res as user u's request of step sp, sent at sent. In a closed
// model a request is due when it is sent; an open model's due time is set
// by the caller.
func (e *engine) begin(res *loadharness.Result, u *user, sp *stepPlan, rawURL string, sent time.Time) {
	*res = loadharness.Result{
		Scenario: e.sc.Name,
		Step:     sp.name,
		Method:   sp.method,
		URL:      rawURL,
		User:     u.id,
		Intended: sent,
		Sent:     sent,
	}
}

// answered records what resp says: its status, which instance and worker
// served it, and what the step's checks and the session probe found.
func (e *engine) answered(res *loadharness.Result, resp *http.Response, bytesOut int64, session loadharness.SessionOutcome, failure, dataset string) {
	res.Code = uint16(resp.StatusCode)
	res.BytesOut = uint64(max(bytesOut, 0))
	res.Instance = firstValue(resp.Header, e.probe.instanceKey)
	res.Worker = firstValue(resp.Header, e.probe.workerKey)
	if e.probe.versionKey != "" {
		e.versions.add(firstValue(resp.Header, e.probe.versionKey))
	}
	res.Session = session
	res.CheckFailure = failure
	res.Dataset = dataset
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		// As Vegeta does: a response outside 2xx and 3xx is an error.
		res.Error = resp.Status
	}
}

// finished records when the response's last byte arrived and how many body
// bytes it had.
func finished(res *loadharness.Result, end time.Time, bytesIn int64) {
	res.Latency = max(end.Sub(res.Sent), 0)
	res.BytesIn = uint64(max(bytesIn, 0))
}

// unanswered records a request of user u for step sp that got no
// response, and what that means for the user's session.
func (e *engine) unanswered(res *loadharness.Result, u *user, sp *stepPlan, err error, end time.Time) {
	failed(res, err, end)
	res.Session = e.probe.noResponse(sp, u)
}

// failed records a request that got no usable response, its error worded
// as http.Client words it (`Get "URL": ...`).
func failed(res *loadharness.Result, err error, end time.Time) {
	res.Latency = max(end.Sub(res.Sent), 0)
	res.Error = (&url.Error{Op: urlErrorOp(res.Method), URL: res.URL, Err: err}).Error()
}

// urlErrorOp is the Op of http.Client's errors: "Get" for GET.
func urlErrorOp(method string) string {
	if method == "" {
		return "Get"
	}
	return method[:1] + strings.ToLower(method[1:])
}

// firstValue returns the first value of a canonical header key.
func firstValue(h map[string][]string, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
