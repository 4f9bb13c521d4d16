package scenarios

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/tidwall/gjson"

	"loadharness"
	"loadharness/scenarios/suite"
)

// assert runs the step's extractions and checks on a response: it sets the
// user's variables and returns the first failure ("" when none), worded to
// group well in the error table. An extraction that finds nothing removes
// its variable, so that the user's steps that need it are skipped.
func (sp *stepPlan) assert(u *user, resp *http.Response, body []byte, truncated bool, elapsed time.Duration) string {
	if len(sp.extract) == 0 && len(sp.checks) == 0 {
		return ""
	}
	var failure string
	fail := func(msg string) {
		if failure == "" {
			failure = msg
		}
	}
	for i := range sp.extract {
		x := &sp.extract[i]
		v, found := extractValue(x, resp, body)
		if !found {
			delete(u.vars, x.Name)
			fail(fmt.Sprintf("extract %s: %s %q found nothing", x.Name, x.From, truncate(x.Expr, 40)))
			continue
		}
		if u.vars == nil {
			u.vars = make(map[string]string, len(sp.extract))
		}
		u.vars[x.Name] = v
	}
	for i := range sp.checks {
		if msg := runCheck(&sp.checks[i], resp, body, truncated, elapsed); msg != "" {
			fail("check " + sp.checks[i].Name + ": " + msg)
		}
	}
	return failure
}

// extractValue finds what x names in the response.
func extractValue(x *suite.Extraction, resp *http.Response, body []byte) (string, bool) {
	switch x.From {
	case suite.FromJSONPath:
		r := gjson.GetBytes(body, x.Expr)
		if !r.Exists() || r.Type == gjson.Null {
			return "", false
		}
		return r.String(), true
	case suite.FromHeaderOf:
		v := resp.Header.Values(x.Expr)
		if len(v) == 0 {
			return "", false
		}
		return v[0], true
	case suite.FromCookie:
		for _, c := range resp.Cookies() {
			if c.Name == x.Expr {
				return c.Value, true
			}
		}
		return "", false
	case suite.FromRegex:
		m := x.Regex.FindSubmatch(body)
		switch {
		case m == nil:
			return "", false
		case len(m) > 1:
			return string(m[1]), true
		default:
			return string(m[0]), true
		}
	}
	return "", false
}

// runCheck returns why c failed on the response, or "".
func runCheck(c *suite.Check, resp *http.Response, body []byte, truncated bool, elapsed time.Duration) string {
	switch c.Kind {
	case suite.CheckLatency:
		if elapsed > c.Latency {
			return "took longer than " + c.Latency.String()
		}
		return ""
	case suite.CheckBodySize:
		n := int64(len(body))
		switch {
		case truncated && c.MaxBytes > 0:
			return "body over " + strconv.Itoa(maxCheckedBody>>20) + " MiB"
		case n < c.MinBytes:
			return fmt.Sprintf("body under %d bytes", c.MinBytes)
		case c.MaxBytes > 0 && n > c.MaxBytes:
			return fmt.Sprintf("body over %d bytes", c.MaxBytes)
		}
		return ""
	case suite.CheckHeader:
		v, ok := resp.Header[http.CanonicalHeaderKey(c.Expr)]
		return condition(c, firstOf(v), ok)
	case suite.CheckJSON:
		if truncated {
			return "body over " + strconv.Itoa(maxCheckedBody>>20) + " MiB not checked"
		}
		r := gjson.GetBytes(body, c.Expr)
		return condition(c, r.String(), r.Exists())
	}
	return ""
}

// condition checks a value found (or not) against c's equals, exists or
// matches. The failure says what was found, shortly, so that one failure
// groups in the error table.
func condition(c *suite.Check, v string, found bool) string {
	switch {
	case c.Exists != nil:
		if found != *c.Exists {
			if found {
				return "present"
			}
			return "absent"
		}
	case !found:
		return "absent"
	case c.Equals != nil:
		if v != *c.Equals {
			return fmt.Sprintf("%q", truncate(v, 40))
		}
	case c.Matches != nil:
		if !c.Matches.MatchString(v) {
			return fmt.Sprintf("%q", truncate(v, 40))
		}
	}
	return ""
}

func firstOf(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return v[0]
}

// skipped makes res the record of step sp that user u skipped at at,
// lacking the variable missing: a hit not sent, counted as the step's.
func (e *engine) skipped(res *loadharness.Result, u *user, sp *stepPlan, missing string, at time.Time) {
	*res = loadharness.Result{
		Scenario: e.sc.Name,
		Step:     sp.name,
		Method:   sp.method,
		User:     u.id,
		Intended: at,
		Sent:     at,
		Dropped:  1,
		Error:    loadharness.SkipPrefix + "{{" + missing + "}} was not extracted",
	}
}

// assignRow gives u its first row of the scenario's data.
func (p *plan) assignRow(u *user) {
	if p.data == nil || len(p.data.Rows) == 0 {
		return
	}
	u.row = int(u.id % uint32(len(p.data.Rows)))
	if p.order == suite.OrderRandom {
		u.rowRand = rand.New(rand.NewPCG(uint64(u.id), 0x726f7773))
		u.row = u.rowRand.IntN(len(p.data.Rows))
	}
}

// nextPass moves u on as it starts its main steps again: circular to the
// next row, random to a fresh draw; the first pass keeps its row.
func (p *plan) nextPass(u *user) {
	u.passes++
	if u.passes == 1 || p.data == nil {
		return
	}
	switch p.order {
	case suite.OrderCircular:
		u.row = (u.row + 1) % len(p.data.Rows)
	case suite.OrderRandom:
		u.row = u.rowRand.IntN(len(p.data.Rows))
	}
}
