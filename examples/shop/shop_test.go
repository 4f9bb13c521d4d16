package shop

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// testAccounts are the two accounts every server in these tests knows.
var testAccounts = []Account{
	{Email: "ada@shop.example", Password: "pw-ada-1815", Name: "Ada"},
	{Email: "bob@shop.example", Password: "pw-bob-1969", Name: "Bob"},
}

// reply is one answer, read whole.
type reply struct {
	status int
	header http.Header
	body   string
}

// json decodes the body into a map, failing the test when it is not JSON.
func (r reply) json(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		tb.Fatalf("body %q: %v", r.body, err)
	}
	return m
}

// mustServer starts a Server with testAccounts behind httptest.
func mustServer(tb testing.TB, opts ...Option) (*Server, *httptest.Server) {
	tb.Helper()
	s := New(testAccounts, opts...)
	ts := httptest.NewServer(s)
	tb.Cleanup(ts.Close)
	return s, ts
}

// send sends one request; token, when not empty, goes in a Bearer header.
func send(ctx context.Context, ts *httptest.Server, method, path, token, body string) (reply, error) {
	req, err := http.NewRequestWithContext(ctx, method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		return reply{}, err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		return reply{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}, err
}

// do is send for the test's own goroutine: a failure to send ends the test.
func do(tb testing.TB, ts *httptest.Server, method, path, token, body string) reply {
	tb.Helper()
	r, err := send(tb.Context(), ts, method, path, token, body)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// mustLogin logs acc in and returns its token.
func mustLogin(tb testing.TB, ts *httptest.Server, acc Account) string {
	tb.Helper()
	r := do(tb, ts, "POST", "/api/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, acc.Email, acc.Password))
	if r.status != http.StatusOK {
		tb.Fatalf("login %s: %d %s", acc.Email, r.status, r.body)
	}
	token, _ := r.json(tb)["token"].(string)
	return token
}

// mustOrder places an order and returns the reply.
func mustOrder(tb testing.TB, ts *httptest.Server, token, item string, qty int) reply {
	tb.Helper()
	r := do(tb, ts, "POST", "/api/orders", token, fmt.Sprintf(`{"item":%q,"qty":%d}`, item, qty))
	if r.status != http.StatusCreated {
		tb.Fatalf("order: %d %s", r.status, r.body)
	}
	return r
}

func wantJSON(tb testing.TB, r reply) {
	tb.Helper()
	if got, want := r.header.Get("Content-Type"), "application/json"; got != want {
		tb.Errorf("Content-Type %q, want %q", got, want)
	}
}

var hexToken = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestLogin(t *testing.T) {
	cases := []struct {
		name      string
		body      string
		want      int
		wantError string
	}{
		{"right password", `{"email":"ada@shop.example","password":"pw-ada-1815"}`, 200, ""},
		{"wrong password", `{"email":"ada@shop.example","password":"pw-bob-1969"}`, 401, "bad credentials"},
		{"unknown email", `{"email":"eve@shop.example","password":"pw-ada-1815"}`, 401, "bad credentials"},
		{"empty password", `{"email":"ada@shop.example","password":""}`, 401, "bad credentials"},
		{"null", `null`, 401, "bad credentials"},
		{"not JSON", `email=ada`, 400, "bad JSON"},
		{"empty body", ``, 400, "bad JSON"},
		{"truncated", `{"email":"ada@shop.example"`, 400, "bad JSON"},
		{"a number for the email", `{"email":5,"password":"x"}`, 400, "bad JSON"},
		{"two objects", `{"email":"ada@shop.example","password":"pw-ada-1815"}{}`, 400, "more after the object"},
		{"too large", `{"email":"` + strings.Repeat("a", maxBody) + `"}`, 400, "bad JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ts := mustServer(t)
			r := do(t, ts, "POST", "/api/login", "", tc.body)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d; body %s", r.status, tc.want, r.body)
			}
			wantJSON(t, r)
			got := r.json(t)
			if tc.wantError != "" {
				if msg, _ := got["error"].(string); !strings.Contains(msg, tc.wantError) {
					t.Errorf("error %q, want it to contain %q", msg, tc.wantError)
				}
				return
			}
			if token, _ := got["token"].(string); !hexToken.MatchString(token) {
				t.Errorf("token %q, want 64 hex digits", token)
			}
			if got, want := got["expires_in"], float64(3600); got != want {
				t.Errorf("expires_in %v, want %v", got, want)
			}
		})
	}
}

func TestLoginTokensDiffer(t *testing.T) {
	_, ts := mustServer(t)
	a, b := mustLogin(t, ts, testAccounts[0]), mustLogin(t, ts, testAccounts[0])
	if a == b {
		t.Errorf("two logins got the same token %s", a)
	}
	// Both stay good: a login does not end the account's other sessions.
	for _, token := range []string{a, b} {
		if r := do(t, ts, "GET", "/api/account", token, ""); r.status != 200 {
			t.Errorf("token %s…: %d %s", token[:8], r.status, r.body)
		}
	}
}

func TestTokenRequired(t *testing.T) {
	_, ts := mustServer(t)
	good := mustLogin(t, ts, testAccounts[0])
	endpoints := []struct{ method, path, body string }{
		{"GET", "/api/account", ""},
		{"POST", "/api/orders", `{"item":"tea","qty":1}`},
		{"GET", "/api/orders/ord-1", ""},
	}
	headers := []struct{ name, value string }{
		{"no header", ""},
		{"unknown token", "Bearer 00ff"},
		{"empty token", "Bearer "},
		{"another scheme", "Basic " + good},
		{"token without scheme", good},
	}
	for _, ep := range endpoints {
		for _, h := range headers {
			t.Run(ep.method+" "+ep.path+"/"+h.name, func(t *testing.T) {
				req, err := http.NewRequestWithContext(t.Context(), ep.method, ts.URL+ep.path, strings.NewReader(ep.body))
				if err != nil {
					t.Fatal(err)
				}
				if h.value != "" {
					req.Header.Set("Authorization", h.value)
				}
				resp, err := ts.Client().Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				r := reply{resp.StatusCode, resp.Header, string(b)}
				if r.status != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401; body %s", r.status, r.body)
				}
				wantJSON(t, r)
				if got, want := r.json(t)["error"], "bad token"; got != want {
					t.Errorf("error %q, want %q", got, want)
				}
				if r.header.Get("WWW-Authenticate") == "" {
					t.Error("no WWW-Authenticate header")
				}
			})
		}
	}
	// The scheme is case-insensitive (RFC 9110).
	if r := do(t, ts, "GET", "/api/account", "", ""); r.status != 401 {
		t.Fatalf("no token: %d", r.status)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "GET", ts.URL+"/api/account", nil)
	req.Header.Set("Authorization", "bearer "+good)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("lower-case bearer: %d, want 200", resp.StatusCode)
	}
}

func TestOrderCreateAndGet(t *testing.T) {
	_, ts := mustServer(t)
	token := mustLogin(t, ts, testAccounts[0])

	r := mustOrder(t, ts, token, "green tea", 3)
	wantJSON(t, r)
	var got Order
	if err := json.Unmarshal([]byte(r.body), &got); err != nil {
		t.Fatal(err)
	}
	want := Order{ID: "ord-1", Status: "accepted", Item: "green tea", Qty: 3, Account: "ada@shop.example"}
	if got != want {
		t.Errorf("order %+v, want %+v", got, want)
	}
	if got, want := r.header.Get("Location"), "/api/orders/ord-1"; got != want {
		t.Errorf("Location %q, want %q", got, want)
	}

	g := do(t, ts, "GET", r.header.Get("Location"), token, "")
	if g.status != 200 {
		t.Fatalf("get: %d %s", g.status, g.body)
	}
	wantJSON(t, g)
	if g.body != r.body {
		t.Errorf("get %s, want what the create answered, %s", g.body, r.body)
	}

	mustOrder(t, ts, token, "black tea", 1)
	a := do(t, ts, "GET", "/api/account", token, "")
	if a.status != 200 {
		t.Fatalf("account: %d %s", a.status, a.body)
	}
	wantJSON(t, a)
	gotAcc := a.json(t)
	wantAcc := map[string]any{"email": "ada@shop.example", "name": "Ada", "orders": float64(2)}
	if fmt.Sprint(gotAcc) != fmt.Sprint(wantAcc) {
		t.Errorf("account %v, want %v", gotAcc, wantAcc)
	}
}

func TestOrderValidation(t *testing.T) {
	cases := []struct {
		name      string
		body      string
		want      int
		wantError string
	}{
		{"qty 1", `{"item":"tea","qty":1}`, 201, ""},
		{"qty 100", `{"item":"tea","qty":100}`, 201, ""},
		{"qty 0", `{"item":"tea","qty":0}`, 400, "qty must be 1..100"},
		{"qty missing", `{"item":"tea"}`, 400, "qty must be 1..100"},
		{"qty 101", `{"item":"tea","qty":101}`, 400, "qty must be 1..100"},
		{"qty negative", `{"item":"tea","qty":-1}`, 400, "qty must be 1..100"},
		{"qty fractional", `{"item":"tea","qty":1.5}`, 400, "bad JSON"},
		{"qty a string", `{"item":"tea","qty":"2"}`, 400, "bad JSON"},
		{"item empty", `{"item":"","qty":1}`, 400, "item must not be empty"},
		{"item blank", `{"item":"  ","qty":1}`, 400, "item must not be empty"},
		{"item missing", `{"qty":1}`, 400, "item must not be empty"},
		{"not JSON", `tea x1`, 400, "bad JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := mustServer(t)
			token := mustLogin(t, ts, testAccounts[0])
			r := do(t, ts, "POST", "/api/orders", token, tc.body)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d; body %s", r.status, tc.want, r.body)
			}
			wantJSON(t, r)
			if tc.wantError == "" {
				return
			}
			if msg, _ := r.json(t)["error"].(string); !strings.Contains(msg, tc.wantError) {
				t.Errorf("error %q, want it to contain %q", msg, tc.wantError)
			}
			if r.header.Get("Location") != "" {
				t.Errorf("Location %q on a refused order", r.header.Get("Location"))
			}
			if got := s.Stats(); got.BadRequests != 1 || got.OrdersAccepted != 0 {
				t.Errorf("stats %+v, want one bad request and no order", got)
			}
		})
	}
}

func TestOrderOfAnotherAccountIsNotFound(t *testing.T) {
	s, ts := mustServer(t)
	ada, bob := mustLogin(t, ts, testAccounts[0]), mustLogin(t, ts, testAccounts[1])
	loc := mustOrder(t, ts, ada, "tea", 2).header.Get("Location")

	cases := []struct {
		name, token, path string
		want              int
	}{
		{"owner", ada, loc, 200},
		{"another account", bob, loc, 404},
		{"never placed", ada, "/api/orders/ord-99", 404},
		{"not an order id", ada, "/api/orders/..%2f", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, ts, "GET", tc.path, tc.token, "")
			if r.status != tc.want {
				t.Fatalf("status %d, want %d; body %s", r.status, tc.want, r.body)
			}
			wantJSON(t, r)
			if tc.want == 404 {
				if got, want := r.json(t)["error"], "no such order"; got != want {
					t.Errorf("error %q, want %q", got, want)
				}
			}
		})
	}
	if got := s.Stats(); got.Lookups != 1 || got.LookupMisses != 3 {
		t.Errorf("stats %+v, want 1 lookup and 3 misses", got)
	}
}

func TestWrongStatus(t *testing.T) {
	cases := []struct {
		name         string
		opts         []Option
		wantRejected []int // 1-based order numbers
	}{
		{"well behaved", nil, nil},
		{"every 5th rejected", []Option{WithWrongStatus()}, []int{5, 10, 15, 20}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := mustServer(t, tc.opts...)
			token := mustLogin(t, ts, testAccounts[0])
			var rejected []int
			for n := 1; n <= 20; n++ {
				r := mustOrder(t, ts, token, "tea", 1) // always 201: a status check sees nothing wrong
				wantJSON(t, r)
				// What the harness check {json: status, equals: accepted} looks at.
				if r.json(t)["status"] != "accepted" {
					rejected = append(rejected, n)
					if got, want := r.body, `{"status":"rejected"}`+"\n"; got != want {
						t.Errorf("order %d: body %q, want %q", n, got, want)
					}
					if r.header.Get("Location") != "" {
						t.Errorf("order %d: Location on a rejected order", n)
					}
				}
			}
			if fmt.Sprint(rejected) != fmt.Sprint(tc.wantRejected) {
				t.Errorf("rejected orders %v, want %v", rejected, tc.wantRejected)
			}
			st := s.Stats()
			if got, want := st.OrdersRejected, int64(len(tc.wantRejected)); got != want {
				t.Errorf("OrdersRejected %d, want %d", got, want)
			}
			if got, want := st.OrdersAccepted, int64(20-len(tc.wantRejected)); got != want {
				t.Errorf("OrdersAccepted %d, want %d", got, want)
			}
			a := do(t, ts, "GET", "/api/account", token, "")
			if got, want := a.json(t)["orders"], float64(20-len(tc.wantRejected)); got != want {
				t.Errorf("account orders %v, want %v", got, want)
			}
		})
	}
}

// TestConcurrentCountsAgree is what a load run does in small: many clients
// at once, and the clients' own tally must match the server's.
func TestConcurrentCountsAgree(t *testing.T) {
	s, ts := mustServer(t, WithWrongStatus())
	const clients, perClient = 8, 25
	var (
		mu       sync.Mutex
		accepted int64
		rejected int64
		wg       sync.WaitGroup
	)
	// Goroutines may not end the test, so they report with t.Error and stop.
	client := func(acc Account) error {
		l, err := send(t.Context(), ts, "POST", "/api/login", "", fmt.Sprintf(`{"email":%q,"password":%q}`, acc.Email, acc.Password))
		if err != nil {
			return err
		}
		var login loginReply
		if err := json.Unmarshal([]byte(l.body), &login); err != nil {
			return fmt.Errorf("login: %d %s", l.status, l.body)
		}
		for range perClient {
			r, err := send(t.Context(), ts, "POST", "/api/orders", login.Token, `{"item":"tea","qty":1}`)
			if err != nil {
				return err
			}
			var o Order
			if err := json.Unmarshal([]byte(r.body), &o); err != nil || r.status != 201 {
				return fmt.Errorf("order: %d %s", r.status, r.body)
			}
			ok := o.Status == "accepted"
			if ok {
				g, err := send(t.Context(), ts, "GET", r.header.Get("Location"), login.Token, "")
				if err != nil {
					return err
				}
				if g.status != 200 {
					return fmt.Errorf("get %s: %d", r.header.Get("Location"), g.status)
				}
			}
			mu.Lock()
			if ok {
				accepted++
			} else {
				rejected++
			}
			mu.Unlock()
		}
		return nil
	}
	for c := range clients {
		wg.Go(func() {
			if err := client(testAccounts[c%len(testAccounts)]); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got := s.Stats()
	want := Stats{
		Requests:       clients + 2*clients*perClient - rejected,
		Logins:         clients,
		OrdersAccepted: accepted,
		OrdersRejected: rejected,
		Lookups:        accepted,
	}
	if got != want {
		t.Errorf("server stats %+v, want %+v", got, want)
	}
	if got, want := rejected, int64(clients*perClient/wrongStatusEvery); got != want {
		t.Errorf("rejected %d of %d, want exactly every 5th: %d", got, clients*perClient, want)
	}
}

func TestStats(t *testing.T) {
	s, ts := mustServer(t)
	token := mustLogin(t, ts, testAccounts[0])
	do(t, ts, "POST", "/api/login", "", `{"email":"ada@shop.example","password":"nope"}`)
	do(t, ts, "POST", "/api/login", "", `{`)
	do(t, ts, "GET", "/api/account", token, "")
	do(t, ts, "GET", "/api/account", "nope", "")
	loc := mustOrder(t, ts, token, "tea", 1).header.Get("Location")
	do(t, ts, "POST", "/api/orders", token, `{"item":"tea","qty":0}`)
	do(t, ts, "GET", loc, token, "")
	do(t, ts, "GET", "/api/orders/ord-7", token, "")
	do(t, ts, "GET", "/healthz", "", "")
	do(t, ts, "GET", "/nowhere", "", "")
	do(t, ts, "DELETE", "/api/login", "", "")

	want := Stats{
		Requests:       11,
		Logins:         1,
		LoginFailures:  1,
		AccountViews:   1,
		OrdersAccepted: 1,
		Lookups:        1,
		LookupMisses:   1,
		BadTokens:      1,
		BadRequests:    2,
	}
	if got := s.Stats(); got != want {
		t.Errorf("stats\n got %+v\nwant %+v", got, want)
	}
}

func TestHealthz(t *testing.T) {
	_, ts := mustServer(t, WithLatency(time.Hour))
	r := do(t, ts, "GET", "/healthz", "", "")
	if r.status != 200 || r.body != "ok" {
		t.Errorf("healthz: %d %q, want 200 \"ok\"", r.status, r.body)
	}
}

func TestLatency(t *testing.T) {
	const d = 50 * time.Millisecond
	_, ts := mustServer(t, WithLatency(d))
	start := time.Now()
	token := mustLogin(t, ts, testAccounts[0])
	if took := time.Since(start); took < d {
		t.Errorf("login took %v, want at least %v", took, d)
	}
	start = time.Now()
	if r := do(t, ts, "GET", "/api/account", token, ""); r.status != 200 {
		t.Fatalf("account: %d", r.status)
	}
	if took := time.Since(start); took < d {
		t.Errorf("account took %v, want at least %v", took, d)
	}
}

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestTokenExpires(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s, ts := mustServer(t)
	s.now = clock.now
	token := mustLogin(t, ts, testAccounts[0])

	clock.advance(TokenLifetime - time.Second)
	if r := do(t, ts, "GET", "/api/account", token, ""); r.status != 200 {
		t.Fatalf("a second before expiry: %d", r.status)
	}
	clock.advance(time.Second)
	if r := do(t, ts, "GET", "/api/account", token, ""); r.status != 401 {
		t.Fatalf("at expiry: %d, want 401", r.status)
	}
}

func TestExpiredTokensAreSwept(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	s := New(testAccounts)
	s.now = clock.now
	login := func() {
		req := httptest.NewRequest("POST", "/api/login", strings.NewReader(`{"email":"ada@shop.example","password":"pw-ada-1815"}`))
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("login: %d", rec.Code)
		}
	}
	for range 3 * minSweep {
		login()
		clock.advance(TokenLifetime / minSweep) // about a minSweep of tokens live at any time
	}
	s.mu.Lock()
	n := len(s.tokens)
	s.mu.Unlock()
	if n > 2*minSweep+1 {
		t.Errorf("%d tokens kept after %d logins, want at most %d: expired ones are not swept", n, 3*minSweep, 2*minSweep+1)
	}
}

func TestUnknownRoutes(t *testing.T) {
	_, ts := mustServer(t)
	cases := []struct {
		name, method, path string
		want               int
	}{
		{"unknown path", "GET", "/api/basket", 404},
		{"wrong method", "GET", "/api/login", 405},
		{"wrong method on orders", "DELETE", "/api/orders/ord-1", 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := do(t, ts, tc.method, tc.path, "", ""); r.status != tc.want {
				t.Errorf("status %d, want %d", r.status, tc.want)
			}
		})
	}
}
