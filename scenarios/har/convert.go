package har

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	// DefaultName names a suite when Options.Name is empty.
	DefaultName = "recorded"
	// DefaultMaxThink bounds the think time when Options.MaxThink is 0: a
	// recording's pauses include the user reading the page.
	DefaultMaxThink = 5 * time.Second
)

// maxSteps is the most steps a scenario holds (suite.MaxSteps; this package
// does not import the suite parser).
const maxSteps = 1000

// Options says what Convert keeps of a recording and how it names the suite.
type Options struct {
	// Hosts keeps requests to these hosts ("api.example.com" matches any
	// port, "127.0.0.1:8080" that port only). Empty keeps the host of the
	// first request, the page the recording started on.
	Hosts []string
	// IncludeAssets keeps static assets (images, CSS, scripts, fonts,
	// media), which a browser fetches but an API load test rarely wants.
	IncludeAssets bool
	// Name is the suite's name; empty means DefaultName.
	Name string
	// Source names the recording in the suite's first comment, e.g. its
	// file name.
	Source string
	// MaxThink bounds the scenario's think time, taken from the recorded
	// pauses; 0 means DefaultMaxThink.
	MaxThink time.Duration
}

// Convert turns a recording into the text of a suite: one scenario,
// "recorded", whose steps replay the kept requests in order with paths
// relative to the recorded origin, so that it runs with --provider external
// --target ORIGIN. Values a response gave and a later request sent back
// (tokens, ids) become extractions and {{NAME}} placeholders. The warnings
// say what was dropped and what to check by hand; they are also comments at
// the top of the text.
func Convert(l *Log, o Options) (text []byte, warnings []string, err error) {
	if l == nil {
		return nil, nil, errors.New("no HAR log to convert")
	}
	name := cmp.Or(o.Name, DefaultName)
	if !validName(name) {
		return nil, nil, fmt.Errorf("suite name %q: use 1..64 letters, digits, '.', '_' or '-'", name)
	}
	maxThink := o.MaxThink
	if maxThink <= 0 {
		maxThink = DefaultMaxThink
	}
	hosts := o.Hosts
	if len(hosts) == 0 {
		hosts = firstHost(l)
	}
	want, err := parseHosts(hosts)
	if err != nil {
		return nil, nil, err
	}
	var drops dropCount
	var steps []*step
	for i := range l.Entries {
		e := &l.Entries[i]
		u, err := parseURL(e.Request.URL)
		if err != nil {
			return nil, nil, fmt.Errorf("entry %d: %w", i, err)
		}
		r := drop(e, u, want, o.IncludeAssets)
		if r == kept {
			var st *step
			if st, r = newStep(i, e, u); r == kept {
				if len(steps) == maxSteps {
					r = overLimit
				} else {
					steps = append(steps, st)
				}
			}
		}
		drops.add(r, u)
	}
	if len(steps) == 0 {
		msg := "no request left to replay"
		if w := drops.warnings(); len(w) > 0 {
			msg += ": " + strings.Join(w, "; ")
		}
		return nil, nil, errors.New(msg)
	}
	carried := correlate(l, steps)
	nameSteps(steps)

	origins := originsOf(l, steps)
	warnings = drops.warnings()
	if len(origins) > 1 {
		warnings = append(warnings, fmt.Sprintf("the kept requests went to %d origins (%s); the suite sends them all to --target",
			len(origins), strings.Join(origins, ", ")))
	}
	for _, st := range steps {
		for _, n := range st.notes {
			warnings = append(warnings, fmt.Sprintf("step %s: %s", st.name, n))
		}
	}
	text, err = writeSuite(suiteText{
		name: name, source: o.Source, creator: l.Creator, origin: origins[0],
		total: len(l.Entries), think: thinkTime(l, steps, maxThink),
		steps: steps, carried: carried, warnings: warnings,
	})
	if err != nil {
		return nil, nil, err
	}
	return text, warnings, nil
}

// firstHost is the host of the first HTTP request: the page the recording
// started on.
func firstHost(l *Log) []string {
	for _, e := range l.Entries {
		if u, err := url.Parse(e.Request.URL); err == nil && isHTTP(u) && u.Host != "" {
			return []string{u.Host}
		}
	}
	return nil
}

// hostMatch is one host to keep: with a port it matches that port only.
type hostMatch struct {
	host    string // lowercased, without the port
	port    string // "" for any
	hasPort bool
}

// parseHosts reads hosts given as "example.com", "example.com:8080" or
// "https://example.com:8443/".
func parseHosts(hosts []string) ([]hostMatch, error) {
	var out []hostMatch
	for _, h := range hosts {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		if strings.Contains(h, "://") {
			u, err := url.Parse(h)
			if err != nil || u.Host == "" {
				return nil, fmt.Errorf("host %q: not a host or a URL with one", h)
			}
			h = u.Host
		}
		u := &url.URL{Host: h}
		m := hostMatch{host: strings.ToLower(u.Hostname()), port: u.Port()}
		m.hasPort = m.port != ""
		if m.host == "" || strings.ContainsAny(m.host, "/?#@ ") {
			return nil, fmt.Errorf("host %q: not a host name", h)
		}
		out = append(out, m)
	}
	return out, nil
}

func (m hostMatch) matches(u *url.URL) bool {
	if strings.ToLower(u.Hostname()) != m.host {
		return false
	}
	return !m.hasPort || portOf(u) == m.port
}

// portOf is u's port, or its scheme's default.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if strings.EqualFold(u.Scheme, "https") {
		return "443"
	}
	return "80"
}

// originOf is u's scheme and host: what --target must be.
func originOf(u *url.URL) string {
	return strings.ToLower(u.Scheme) + "://" + u.Host
}

// originsOf lists the origins of the kept requests, the first one's first.
func originsOf(l *Log, steps []*step) []string {
	var out []string
	for _, st := range steps {
		u, _ := url.Parse(l.Entries[st.entry].Request.URL) // parsed before
		if o := originOf(u); !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return out
}

// thinkTime is the median pause between the end of one kept request and
// the start of the next, rounded to 10ms and bounded by [0, limit]. It is
// 0 when the file has no times to take it from.
func thinkTime(l *Log, steps []*step, limit time.Duration) time.Duration {
	var gaps []time.Duration
	for i := 1; i < len(steps); i++ {
		prev, next := &l.Entries[steps[i-1].entry], &l.Entries[steps[i].entry]
		if prev.Started.IsZero() || next.Started.IsZero() {
			continue
		}
		took := time.Duration(max(prev.Time, 0) * float64(time.Millisecond))
		gaps = append(gaps, max(next.Started.Sub(prev.Started)-took, 0))
	}
	if len(gaps) == 0 {
		return 0
	}
	slices.Sort(gaps)
	mid := len(gaps) / 2
	median := gaps[mid]
	if len(gaps)%2 == 0 {
		median = gaps[mid-1] + (gaps[mid]-gaps[mid-1])/2
	}
	return min(max(median.Round(10*time.Millisecond), 0), limit)
}

// validName reports whether s may name a suite, scenario or step (the
// suite parser's rule).
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !nameChar(s[i]) {
			return false
		}
	}
	return true
}

func nameChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-'
}

// plural writes n and noun, adding s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
