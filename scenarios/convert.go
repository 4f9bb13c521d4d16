package scenarios

import (
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"loadharness"
)

// converter turns Vegeta's results into the harness's. It runs on the one
// goroutine that feeds the sink and allocates nothing per result: strings
// are slices of Vegeta's, times are offsets from the engine's epoch.
type converter struct {
	scenario string
	names    []string // step names by plan index
	epoch    time.Time
	closed   bool
	probe    *probe
}

// convert fills out from vr and reports whether vr was a request of this
// engine (the targeter's own stop results are not).
func (c *converter) convert(vr *vegeta.Result, out *loadharness.Result) bool {
	base, frag, ok := splitFragment(vr.URL)
	if !ok {
		return false
	}
	id, ok := parseIdentity(frag)
	if !ok || id.step >= len(c.names) {
		return false
	}
	sent := id.handoff
	if v, ok := headerInt(vr.Headers, hdrSent); ok {
		sent = time.Duration(v)
	}
	*out = loadharness.Result{
		Scenario: c.scenario,
		Step:     c.names[id.step],
		Method:   vr.Method,
		URL:      base,
		User:     id.user,
		Seq:      vr.Seq,
		Sent:     c.epoch.Add(sent),
		Code:     vr.Code,
		Error:    cleanError(vr.Error, frag),
		BytesIn:  vr.BytesIn,
		BytesOut: vr.BytesOut,
	}
	out.Latency = max(vr.End().Sub(out.Sent), 0)
	out.Intended = out.Sent
	if !c.closed && id.intended > 0 {
		out.Intended = c.epoch.Add(id.intended)
	}
	if n, ok := headerInt(vr.Headers, hdrBytes); ok {
		out.BytesIn = uint64(n)
	}
	out.Instance = firstValue(vr.Headers, c.probe.instanceKey)
	out.Worker = firstValue(vr.Headers, c.probe.workerKey)
	out.Session = loadharness.ParseSessionOutcome(firstValue(vr.Headers, hdrSession))
	out.CheckFailure = firstValue(vr.Headers, hdrCheck)
	return true
}

// firstValue returns the first value of a canonical header key.
func firstValue(h map[string][]string, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// headerInt parses a header holding a decimal integer.
func headerInt(h map[string][]string, key string) (int64, bool) {
	v := firstValue(h, key)
	if v == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
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
