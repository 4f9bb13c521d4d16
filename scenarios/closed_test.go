package scenarios

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"loadharness"
	"loadharness/scenarios/suite"
)

// resultKey is what a result says about a request, without its timings and
// sequence numbers.
type resultKey struct {
	Step, Method, URL, Error, Instance, Worker, CheckFailure string
	Code                                                     uint16
	BytesIn, BytesOut                                        uint64
	Session                                                  loadharness.SessionOutcome
}

func keyOf(r *loadharness.Result) resultKey {
	return resultKey{Step: r.Step, Method: r.Method, URL: r.URL, Error: r.Error, Instance: r.Instance, Worker: r.Worker,
		CheckFailure: r.CheckFailure, Code: r.Code, BytesIn: r.BytesIn, BytesOut: r.BytesOut, Session: r.Session}
}

// runPath runs sc against baseURL on the closed-model driver (direct) or on
// Vegeta's attacker, and returns the distinct results of each user.
func runPath(t *testing.T, sc *suite.Scenario, baseURL string, direct bool) []resultKey {
	t.Helper()
	sink := &collected{}
	e, err := newEngine(sc, RunOptions{BaseURL: baseURL, Sink: sink, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer e.close()
	e.direct = direct
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := e.run(ctx); err != nil {
		t.Fatal(err)
	}
	var keys []resultKey
	for i := range sink.results {
		if k := keyOf(&sink.results[i]); !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b resultKey) int {
		return compareStrings(fmt.Sprint(a), fmt.Sprint(b))
	})
	return keys
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// TestClosedDriverAgreesWithVegetaPath runs one closed scenario on both
// ways of sending and expects the same results: the driver that bypasses
// Vegeta must not change what a run measures or how failures read.
func TestClosedDriverAgreesWithVegetaPath(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Instance", "i1")
		w.Header().Set("X-Worker", "3")
		switch r.URL.Path {
		case "/login":
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s-" + r.URL.Query().Get("u"), Path: "/"})
			w.Write([]byte("welcome"))
		case "/whoami":
			c, err := r.Cookie("sid")
			if err != nil {
				http.Error(w, "no session", http.StatusUnauthorized)
				return
			}
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte(c.Value))
		case "/post":
			w.WriteHeader(http.StatusCreated)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	sc := &suite.Scenario{Name: "agree", Users: 3, Duration: 300 * time.Millisecond, Think: 20 * time.Millisecond,
		Setup: []suite.Step{{Name: "login", Method: "GET", Path: "/login?u={{user}}"}},
		Steps: []suite.Step{
			{Name: "whoami", Method: "GET", Path: "/whoami", Expect: suite.Expect{Status: []int{200}, ContentType: "text/plain", BodyContains: "s-"}},
			{Name: "post", Method: "POST", Path: "/post", Body: "name={{user}}", Expect: suite.Expect{Status: []int{200}}},
			{Name: "missing", Method: "GET", Path: "/nope/{{user}}"},
		}}
	direct, viaVegeta := runPath(t, sc, srv.URL, true), runPath(t, sc, srv.URL, false)
	if !slices.Equal(direct, viaVegeta) {
		t.Errorf("direct results:\n%v\nvia Vegeta:\n%v", direct, viaVegeta)
	}
	// Login and missing name the user in their URL: one result each per
	// user; whoami and post read the same for every user.
	if got, want := len(direct), 3+3+1+1; got != want {
		t.Errorf("%d distinct results, want %d: %v", got, want, direct)
	}
}

// TestClosedDriverFailuresReadAsNetHTTP checks that a refused connection
// reads the same on both paths.
func TestClosedDriverFailuresReadAsNetHTTP(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	sc := &suite.Scenario{Name: "refused", Users: 1, Duration: 100 * time.Millisecond, Think: 20 * time.Millisecond,
		Steps: []suite.Step{{Name: "get", Method: "GET", Path: "/x"}}}
	direct, viaVegeta := runPath(t, sc, base, true), runPath(t, sc, base, false)
	if len(direct) != 1 || len(viaVegeta) != 1 {
		t.Fatalf("want one distinct failure per path, got %v and %v", direct, viaVegeta)
	}
	if got, want := direct[0].Error, viaVegeta[0].Error; got != want {
		t.Errorf("direct error %q, via Vegeta %q", got, want)
	}
	if want := fmt.Sprintf("Get %q: dial tcp", base+"/x"); len(direct[0].Error) < len(want) || direct[0].Error[:len(want)] != want {
		t.Errorf("error %q, want it to start %q", direct[0].Error, want)
	}
}

func TestCookieHeaderCache(t *testing.T) {
	e := benchEngine(t, 1)
	u := e.pool.users[0]
	target, _ := url.Parse("http://127.0.0.1:8080/map")
	now := time.Now()
	if got := u.cookieHeader(0, target, now); got != "" {
		t.Fatalf("empty jar: %q", got)
	}
	u.setCookies(target, []*http.Cookie{{Name: "sid", Value: "a"}})
	tests := []struct {
		name string
		at   time.Duration
		set  *http.Cookie // set before asking
		want string
	}{
		{"a new cookie shows at once", 0, nil, "sid=a"},
		{"a changed cookie shows at once", 10 * time.Millisecond, &http.Cookie{Name: "sid", Value: "b"}, "sid=b"},
		{"a second cookie joins", 20 * time.Millisecond, &http.Cookie{Name: "lang", Value: "en"}, "sid=b; lang=en"},
		{"a value needing quotes is quoted", 30 * time.Millisecond, &http.Cookie{Name: "lang", Value: "en gb"}, `sid=b; lang="en gb"`},
		{"a deleted cookie goes", 40 * time.Millisecond, &http.Cookie{Name: "lang", MaxAge: -1}, "sid=b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.set != nil {
				u.setCookies(target, []*http.Cookie{tt.set})
			}
			if got := u.cookieHeader(0, target, now.Add(tt.at)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// An expired cookie stays in the cached header for at most cookieTTL.
	u.setCookies(target, []*http.Cookie{{Name: "short", Value: "x", Expires: time.Now().Add(50 * time.Millisecond)}})
	if got, want := u.cookieHeader(0, target, time.Now()), "sid=b; short=x"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	time.Sleep(100 * time.Millisecond)
	if got, want := u.cookieHeader(0, target, time.Now().Add(cookieTTL)), "sid=b"; got != want {
		t.Errorf("after the TTL: got %q, want %q", got, want)
	}
}

func TestAddCookieHeader(t *testing.T) {
	tests := []struct {
		name    string
		have    []string
		cookies string
		want    []string
	}{
		{"none", nil, "", nil},
		{"only the jar's", nil, "a=1", []string{"a=1"}},
		{"after the step's own", []string{"x=9"}, "a=1", []string{"x=9; a=1"}},
		{"the step's own stays alone", []string{"x=9"}, "", []string{"x=9"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			if tt.have != nil {
				h["Cookie"] = tt.have
			}
			addCookieHeader(h, tt.cookies)
			if got := h["Cookie"]; !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
