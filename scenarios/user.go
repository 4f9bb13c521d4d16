package scenarios

import (
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"time"

	"loadharness"
)

// user is a virtual user: its own cookie jar, hence its own server-side
// session, the data set it expects its session to hold, and its place in the
// steps. A user is held by one request at a time (the pool hands it from the
// targeter to the transport and back), so its fields need no lock: each hand
// over is a channel operation, which orders the memory accesses.
type user struct {
	id  uint32
	jar *cookiejar.Jar
	// conn is the user's own keep-alive connection to an http target.
	conn userConn
	// cookies caches the Cookie header by step index; jarGen counts the
	// jar's changes.
	cookies []cookieCache
	jarGen  uint64
	// next is the index of the user's next main step (sequence pick).
	next int
	// setupNext is the index of the user's next setup step.
	setupNext int
	// rng draws weighted steps; seeded by the user id so runs repeat.
	rng *rand.Rand
	// readyAt is when the user may send again (closed model think time).
	readyAt time.Time
	// takenAt is when the pool handed the user out (Vegeta's path);
	// freeSince is when its last request ended (zero: free from the start).
	takenAt, freeSince time.Time
	// dataset and checksum are what the user's session should hold, from its
	// last captured upload; hasDataset is false until then.
	dataset, checksum string
	hasDataset        bool
	// uploadUncertain says an upload's answer was lost (no response, or a
	// gateway's 502 or 504): it may have been stored, so until the next
	// proof the user's data set is the old one or a new one that no other
	// user holds.
	uploadUncertain bool
	// row is the user's row of the scenario's test data (modulo its rows);
	// rowRand draws rows for the random order.
	row     int
	rowRand *rand.Rand
	// passes counts the times the user started its main steps.
	passes int
	// skip, set by the targeter, is the variable the user's next step
	// lacks: the transport records the step as skipped and sends nothing.
	skip string
	// vars are the values earlier steps extracted; a step that needs one
	// the user lacks is skipped.
	vars map[string]string
	// uploads caches the user's generated upload bodies by step index.
	uploads map[int][]byte
	// res is the result of the user's request in flight on Vegeta's path:
	// the transport fills it, the converter completes and clears it.
	res loadharness.Result
}

// cookieTTL bounds how long a user reuses the Cookie header it built for a
// step: the jar drops expired cookies only when asked, and asking costs an
// allocation-heavy walk of the jar on every request.
const cookieTTL = time.Second

// cookieCache is the Cookie header a user last sent on a step.
type cookieCache struct {
	value string
	// gen is the user's jar generation it was built from, at when.
	gen uint64
	at  time.Time
}

// cookieHeader returns the Cookie header for step si at target, built from
// the jar and kept while the jar is unchanged (setCookies) and for at most
// cookieTTL. A step's URL is the same for every request of one user (its
// only variable part is the user id), so the header depends only on the jar
// and the time.
func (u *user) cookieHeader(si int, target *url.URL, now time.Time) string {
	if si < len(u.cookies) {
		if c := &u.cookies[si]; c.gen == u.jarGen && !c.at.IsZero() && now.Sub(c.at) < cookieTTL {
			return c.value
		}
	}
	var b strings.Builder
	for _, c := range u.jar.Cookies(target) {
		// A jar's cookie has a name and a value only: String writes
		// "name=value", quoted as Request.AddCookie would.
		if s := c.String(); s != "" {
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(s)
		}
	}
	if si >= len(u.cookies) {
		u.cookies = append(u.cookies, make([]cookieCache, si+1-len(u.cookies))...)
	}
	u.cookies[si] = cookieCache{value: b.String(), gen: u.jarGen, at: now}
	return u.cookies[si].value
}

// setCookies stores the cookies a response set, which makes every cached
// Cookie header stale.
func (u *user) setCookies(target *url.URL, cookies []*http.Cookie) {
	u.jar.SetCookies(target, cookies)
	u.jarGen++
}

// addCookieHeader adds the user's cookies to h as Request.AddCookie does:
// after any Cookie header the step set itself.
func addCookieHeader(h http.Header, cookies string) {
	if cookies == "" {
		return
	}
	if v := h["Cookie"]; len(v) > 0 && v[0] != "" {
		cookies = v[0] + "; " + cookies
	}
	h["Cookie"] = []string{cookies}
}
