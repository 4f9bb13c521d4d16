package harness

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/stack/external"
	"loadharness/scenarios/suite"
)

// The servers below misbehave in the ways the session rule of
// docs/sessions.md names, each written from the rule, not from the harness.
// They keep a session per cookie and answer the reference target's three
// requests: POST /login, POST /upload (201 {"id","checksum"}), GET /dataset
// (the session's data set in X-Dataset-Id and X-Dataset-Checksum). Each
// test knows from its server which users lost their session and asks the
// harness to count exactly those.

// sessionServer is a small data set service whose behaviour a test bends
// through hooks.
type sessionServer struct {
	mu       sync.Mutex
	sessions map[string]*serverSession // by cookie value
	next     atomic.Int64
	// uploadID names the data set of the n-th upload (default "ds-n").
	uploadID func(n int64) string
	// read answers GET /dataset for sess; nil answers honestly.
	read func(w http.ResponseWriter, sess *serverSession) bool
	// upload, when set, may take over POST /upload after the data set was
	// stored (to lose the answer); it returns true when it answered.
	upload func(w http.ResponseWriter, sess *serverSession, n int64) bool
}

// serverSession is what the server holds for one cookie.
type serverSession struct {
	user            string
	dataset, digest string
	reads           int
}

func newSessionServer() *sessionServer {
	return &sessionServer{sessions: make(map[string]*serverSession)}
}

func (s *sessionServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/login" {
		r.ParseForm()
	}
	io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	var sess *serverSession
	if c, err := r.Cookie("sid"); err == nil {
		sess = s.sessions[c.Value]
	}
	if sess == nil {
		id := fmt.Sprintf("sid-%d", s.next.Add(1))
		sess = &serverSession{}
		s.sessions[id] = sess
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: id, Path: "/"})
	}
	s.mu.Unlock()
	switch r.URL.Path {
	case "/login":
		sess.user = r.FormValue("user")
		w.Write([]byte("ok"))
	case "/upload":
		n := s.next.Add(1)
		id := fmt.Sprintf("ds-%d", n)
		if s.uploadID != nil {
			id = s.uploadID(n)
		}
		s.mu.Lock()
		sess.dataset, sess.digest = id, "sum-"+id
		s.mu.Unlock()
		if s.upload != nil && s.upload(w, sess, n) {
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":%q,"checksum":%q}`, id, "sum-"+id)
	case "/dataset":
		s.mu.Lock()
		sess.reads++
		s.mu.Unlock()
		if s.read != nil && s.read(w, sess) {
			return
		}
		writeDataset(w, sess.dataset, sess.digest)
	default:
		http.NotFound(w, r)
	}
}

// writeDataset answers a read that names dataset.
func writeDataset(w http.ResponseWriter, dataset, digest string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Dataset-Id", dataset)
	w.Header().Set("X-Dataset-Checksum", digest)
	w.Write([]byte(`{"rows":3}`))
}

// sessionRuleSuite is a closed scenario of users users: login and upload
// once, then read the data set until the end.
func sessionRuleSuite(t *testing.T, users int, steps string) *suite.Suite {
	t.Helper()
	yaml := fmt.Sprintf(`name: session-rule
gates: [sessions_lost == 0]
abort: off
scenarios:
  - name: read
    users: %d
    think: 20ms
    duration: 1500ms
    setup: [login, upload]
    steps: %s
`, users, steps)
	s, err := suite.Parse("session-rule.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runSessionRule runs s against srv and returns the scenario's figures and
// its sessions_lost gate.
func runSessionRule(t *testing.T, srv http.Handler, s *suite.Suite) (Result, loadharness.GateResult) {
	t.Helper()
	hs := httptest.NewServer(srv)
	defer hs.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := RunOn(ctx, external.Provider{URL: hs.URL}, s, false)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, g := range res.Summary.Gates {
		if g.Gate.Metric.Name == loadharness.MetricSessionsLost {
			return res, g
		}
	}
	t.Fatalf("no sessions_lost gate in %+v", res.Summary.Gates)
	return res, loadharness.GateResult{}
}

func TestSessionRuleAgainstMisbehavingServers(t *testing.T) {
	const users = 6
	tests := []struct {
		name string
		// server returns the misbehaving server.
		server func() *sessionServer
		steps  string
		// wantLost users lost; wantMissing says no session could be
		// checked, so the gate is "not measured" and fails.
		wantLost, wantVerified int
		wantMissing            bool
		wantVerdict            loadharness.Verdict
	}{
		{
			name:   "an honest server keeps every session",
			server: newSessionServer, steps: "[dataset]",
			wantLost: 0, wantVerified: users, wantVerdict: loadharness.VerdictPass,
		},
		{
			// Rule: no gate passes on no evidence. Every upload answers
			// 201 without an id, so no user ever holds a data set.
			name: "captures always fail",
			server: func() *sessionServer {
				s := newSessionServer()
				s.upload = func(w http.ResponseWriter, _ *serverSession, _ int64) bool {
					w.WriteHeader(http.StatusCreated)
					w.Write([]byte(`{"rows":3}`))
					return true
				}
				return s
			},
			steps: "[dataset]", wantMissing: true, wantVerdict: loadharness.VerdictFail,
		},
		{
			// Rule (c): from its second read on, every user gets 500s
			// that name nothing, to the end.
			name: "5xx from some point to the end",
			server: func() *sessionServer {
				s := newSessionServer()
				s.read = func(w http.ResponseWriter, sess *serverSession) bool {
					if sess.reads < 2 {
						return false
					}
					http.Error(w, "lost it", http.StatusInternalServerError)
					return true
				}
				return s
			},
			steps: "[dataset]", wantLost: users, wantVerdict: loadharness.VerdictFail,
		},
		{
			// Rule (b): the service names one data set for everyone, and
			// answers every read with it: each read "matches".
			name: "one id for every user",
			server: func() *sessionServer {
				s := newSessionServer()
				s.uploadID = func(int64) string { return "the-one" }
				return s
			},
			steps: "[dataset]", wantLost: users, wantVerdict: loadharness.VerdictFail,
		},
		{
			// Rule (a): two users' data sets are swapped on every read.
			name: "a swap of two users",
			server: func() *sessionServer {
				s := newSessionServer()
				var first []string // the first two users to read
				s.read = func(w http.ResponseWriter, sess *serverSession) bool {
					s.mu.Lock()
					defer s.mu.Unlock()
					if len(first) < 2 && (len(first) == 0 || first[0] != sess.user) {
						first = append(first, sess.user)
					}
					var other string
					switch {
					case len(first) == 2 && sess.user == first[0]:
						other = first[1]
					case len(first) == 2 && sess.user == first[1]:
						other = first[0]
					default:
						return false
					}
					for _, o := range s.sessions {
						if o.user == other && o.dataset != "" {
							writeDataset(w, o.dataset, o.digest)
							return true
						}
					}
					return false
				}
				return s
			},
			steps: "[dataset]", wantLost: 2, wantVerified: users - 2, wantVerdict: loadharness.VerdictFail,
		},
		{
			// The exception: the upload is stored, then its answer is
			// lost (the connection is cut). The session is whole.
			name: "a lost upload response after commit",
			server: func() *sessionServer {
				s := newSessionServer()
				s.upload = func(w http.ResponseWriter, _ *serverSession, _ int64) bool {
					conn, _, err := w.(http.Hijacker).Hijack()
					if err == nil {
						conn.Close()
					}
					return true
				}
				return s
			},
			steps: "[dataset]", wantLost: 0, wantVerified: users, wantVerdict: loadharness.VerdictPass,
		},
		{
			// Rule (c)'s other half: a transient 503 followed by proof is
			// no loss.
			name: "a transient 503 then proof",
			server: func() *sessionServer {
				s := newSessionServer()
				s.read = func(w http.ResponseWriter, sess *serverSession) bool {
					if sess.reads == 2 {
						http.Error(w, "busy", http.StatusServiceUnavailable)
						return true
					}
					return false
				}
				return s
			},
			steps: "[dataset]", wantLost: 0, wantVerified: users,
			// The 503s fail error_rate-style gates, not this one; the
			// suite gates sessions only.
			wantVerdict: loadharness.VerdictPass,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, g := runSessionRule(t, tt.server(), sessionRuleSuite(t, users, tt.steps))
			sc := res.Summary.Scenarios[0]
			t.Logf("%s; sessions checked %d, lost %d, verified %d, unverified %d; %d requests, %d failed",
				g.Display, sc.SessionsChecked, sc.SessionsLost, sc.SessionsVerified, sc.SessionsUnverified, sc.Requests, sc.Failed)
			if got, want := g.Missing, tt.wantMissing; got != want {
				t.Errorf("gate not measured = %v, want %v (%s)", got, want, g.Display)
			}
			if !tt.wantMissing {
				if got, want := sc.SessionsLost, tt.wantLost; got != want {
					t.Errorf("sessions lost = %d, want %d", got, want)
				}
				if got, want := sc.SessionsVerified, tt.wantVerified; got != want {
					t.Errorf("sessions verified = %d, want %d", got, want)
				}
			}
			if got, want := res.Summary.Verdict, tt.wantVerdict; got != want {
				t.Errorf("verdict = %s, want %s", got, want)
			}
			if tt.wantMissing && !strings.Contains(g.Display, "not measured") {
				t.Errorf("display %q does not say the gate was not measured", g.Display)
			}
		})
	}
}
