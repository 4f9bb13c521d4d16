package scenarios

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"loadharness"
	"loadharness/scenarios/suite"
)

// tokenShop is a service the harness did not write, with bearer-token
// login, written from the rules of docs/own-service.md before the harness
// counted anything, and misbehaving on purpose: every 4th login answers
// 200 without a token, every 7th hands out a token it will not accept,
// and every 5th order answers 201 with status "rejected". It counts what
// it did, so the test can compare the harness's counts with its own.
type tokenShop struct {
	mu     sync.Mutex
	logins int
	tokens map[string]string // token -> email
	emails map[string]int    // logins per email
	orders int
	tokenless, badTokens, unauthorized,
	rejected, accepted, meOK int
}

func newTokenShop() *tokenShop {
	return &tokenShop{tokens: map[string]string{}, emails: map[string]int{}}
}

func (s *tokenShop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	bearer := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	email, authorized := s.tokens[bearer]
	switch r.URL.Path {
	case "/login":
		var in struct{ Email, Password string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil || in.Email == "" || in.Password != "pw-"+in.Email {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"bad login"}`)
			return
		}
		s.logins++
		s.emails[in.Email]++
		switch {
		case s.logins%4 == 0:
			s.tokenless++
			fmt.Fprint(w, `{"note":"no token today"}`)
		case s.logins%7 == 0:
			s.badTokens++
			fmt.Fprintf(w, `{"token":"forged-%d"}`, s.logins)
		default:
			token := fmt.Sprintf("tok-%d-%s", s.logins, in.Email)
			s.tokens[token] = in.Email
			fmt.Fprintf(w, `{"token":%q}`, token)
		}
	case "/me":
		if !authorized {
			s.unauthorized++
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"error":"bad token"}`)
			return
		}
		s.meOK++
		fmt.Fprintf(w, `{"email":%q}`, email)
	case "/orders":
		if !authorized {
			s.unauthorized++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		s.orders++
		w.WriteHeader(http.StatusCreated)
		if s.orders%5 == 0 {
			s.rejected++
			fmt.Fprint(w, `{"status":"rejected"}`)
			return
		}
		s.accepted++
		fmt.Fprintf(w, `{"status":"accepted","id":"o-%d"}`, s.orders)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// TestOwnServiceTokensFeedersAndChecks drives tokenShop with 200 users fed
// unique accounts, under both load models, and checks each count against
// the server's own: logins without a token are extraction failures, and
// their users' later steps are skipped, never sent with an empty token; a
// forged token is caught as the 401s it earns; rejected orders are failed
// JSON checks; no account is used twice.
func TestOwnServiceTokensFeedersAndChecks(t *testing.T) {
	const users = 200
	dir := t.TempDir()
	var csv strings.Builder
	csv.WriteString("email,password\n")
	for i := range users {
		fmt.Fprintf(&csv, "u%03d@shop.example,pw-u%03d@shop.example\n", i, i)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, model := range []struct{ name, load string }{
		{"closed", "think: 20ms"},
		{"open", "rate: 200/s"},
	} {
		t.Run(model.name, func(t *testing.T) {
			yaml := fmt.Sprintf(`name: shop
scenarios:
  - name: orders
    users: %d
    %s
    duration: 2s
    setup_ramp: 0s
    data: {file: accounts.csv, order: unique}
    setup:
      - name: login
        method: POST
        path: /login
        json: {email: "{{row.email}}", password: "{{row.password}}"}
        extract:
          token: {json: token}
    steps:
      - name: me
        path: /me
        headers: {Authorization: "Bearer {{token}}"}
        expect: {status: 200}
      - name: order
        method: POST
        path: /orders
        headers: {Authorization: "Bearer {{token}}"}
        json: {item: book, qty: 1}
        checks:
          - {name: accepted, json: status, equals: accepted}
          - {json: id, exists: true}
`, users, model.load)
			s, err := suite.Parse(filepath.Join(dir, "shop.yaml"), []byte(yaml))
			if err != nil {
				t.Fatal(err)
			}
			shop := newTokenShop()
			srv := httptest.NewServer(shop)
			defer srv.Close()
			_, sink := mustRun(t, s.Scenarios[0], RunOptions{BaseURL: srv.URL})

			count := func(step string, keep func(r *loadharness.Result) bool) int {
				n := 0
				for i := range sink.results {
					if r := &sink.results[i]; r.Step == step && keep(r) {
						n += max(int(r.Dropped), 1)
					}
				}
				return n
			}
			shop.mu.Lock()
			defer shop.mu.Unlock()
			for email, n := range shop.emails {
				if n != 1 {
					t.Errorf("account %s logged in %d times: unique feeding used a row twice", email, n)
				}
			}
			if len(shop.emails) != users {
				t.Errorf("%d accounts logged in, want all %d", len(shop.emails), users)
			}
			tokenless := count("login", func(r *loadharness.Result) bool { return strings.HasPrefix(r.CheckFailure, "extract token") })
			if tokenless != shop.tokenless || tokenless == 0 {
				t.Errorf("harness counts %d logins without a token, the server gave %d", tokenless, shop.tokenless)
			}
			// A user without a token skips me and order; one with a forged
			// token sends them and earns 401s. Nothing else is a 401.
			skipped := count("me", (*loadharness.Result).Skipped) + count("order", (*loadharness.Result).Skipped)
			if skipped == 0 {
				t.Error("no step was skipped, though users had no token")
			}
			sentWithoutToken := 0
			for i := range sink.results {
				if r := &sink.results[i]; r.Dropped == 0 && r.Code == 0 && r.Step != "login" {
					sentWithoutToken++
				}
			}
			unauthorized := count("me", func(r *loadharness.Result) bool { return r.Code == 401 }) +
				count("order", func(r *loadharness.Result) bool { return r.Code == 401 })
			if unauthorized != shop.unauthorized {
				t.Errorf("harness counts %d 401s, the server sent %d", unauthorized, shop.unauthorized)
			}
			if shop.badTokens > 0 && unauthorized == 0 {
				t.Errorf("%d forged tokens were handed out and no 401 was counted", shop.badTokens)
			}
			rejected := count("order", func(r *loadharness.Result) bool { return r.CheckFailure == `check accepted: "rejected"` })
			if rejected != shop.rejected || rejected == 0 {
				t.Errorf("harness counts %d rejected orders, the server rejected %d", rejected, shop.rejected)
			}
			accepted := count("order", func(r *loadharness.Result) bool { return r.Code == 201 && r.CheckFailure == "" })
			if accepted != shop.accepted {
				t.Errorf("harness counts %d accepted orders, the server accepted %d", accepted, shop.accepted)
			}
			if sentWithoutToken > 0 {
				t.Errorf("%d requests got no answer", sentWithoutToken)
			}
			t.Logf("%s: %d logins (%d without a token, %d forged), %d skipped steps, %d 401s, %d orders (%d rejected)",
				model.name, shop.logins, shop.tokenless, shop.badTokens, skipped, shop.unauthorized, shop.orders, shop.rejected)
		})
	}
}

// TestSkippedStepsNeverSpin: a closed-model user whose every step needs a
// variable it could not extract stops after one skip of each, instead of
// writing skip records as fast as the machine can.
func TestSkippedStepsNeverSpin(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{}`)
	}))
	defer srv.Close()
	s, err := suite.Parse("t.yaml", []byte(`name: t
scenarios:
  - name: s
    users: 3
    duration: 1s
    setup: [{name: login, path: /login, extract: {token: {json: token}}}]
    steps:
      - {name: a, path: "/a?t={{token}}"}
      - {name: b, path: /b, headers: {X-T: "{{token}}"}}
`))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, sink := mustRun(t, s.Scenarios[0], RunOptions{BaseURL: srv.URL})
	skipped := 0
	for i := range sink.results {
		if sink.results[i].Skipped() {
			skipped++
		}
	}
	if skipped != 3*2 {
		t.Errorf("%d skip records, want one per step and user: 6", skipped)
	}
	if time.Since(start) > 10*time.Second {
		t.Errorf("the run took %v", time.Since(start))
	}
}

// TestStepTimeout: a step's own timeout cuts its slow requests, and only
// its own; the engine's timeout still bounds the others.
func TestStepTimeout(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(300 * time.Millisecond)
		}
		fmt.Fprint(w, "ok")
	}))
	defer srv.Close()
	for _, model := range []string{"think: 10ms", "rate: 20/s"} {
		t.Run(model, func(t *testing.T) {
			s, err := suite.Parse("t.yaml", []byte(`name: t
scenarios:
  - name: s
    users: 4
    `+model+`
    duration: 1s
    steps:
      - {name: slow, path: /slow, timeout: 100ms}
      - {name: patient, path: /slow}
`))
			if err != nil {
				t.Fatal(err)
			}
			_, sink := mustRun(t, s.Scenarios[0], RunOptions{BaseURL: srv.URL})
			slow, patient := sink.step("slow"), sink.step("patient")
			if len(slow) == 0 || len(patient) == 0 {
				t.Fatalf("%d slow and %d patient results", len(slow), len(patient))
			}
			for _, r := range slow {
				if r.Code != 0 || r.Error == "" || r.Latency > 250*time.Millisecond {
					t.Errorf("slow: code %d, error %q, latency %v; want cut at 100 ms", r.Code, r.Error, r.Latency)
				}
			}
			for _, r := range patient {
				if r.Code != 200 && r.Phase == loadharness.PhaseMain && r.Latency < time.Second {
					t.Errorf("patient: code %d, error %q after %v; want 200", r.Code, r.Error, r.Latency)
				}
			}
		})
	}
}
