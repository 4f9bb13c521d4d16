// Package shop is a small JSON API (log in, look at your account, place
// and fetch orders) that stands for a user's own service: the load harness
// did not write it and knows it only over HTTP, the way it knows any
// service run with --provider external.
//
// It keeps everything in memory and counts what it answered (Stats), so a
// test can hold the harness's counts against the service's own, and it can
// misbehave on purpose (WithWrongStatus) to prove the harness's checks catch
// a service that answers 201 and means "no".
//
//	POST /api/login        {"email","password"} → 200 {"token","expires_in"} | 401 | 400
//	GET  /api/account      Bearer → 200 {"email","name","orders"} | 401
//	POST /api/orders       Bearer {"item","qty"} → 201 order + Location | 400 | 401
//	GET  /api/orders/{id}  Bearer → 200 order | 404 (also for another account's order) | 401
//	GET  /healthz          → 200 ok
package shop

import (
	"context"
	"net/http"
	"sync"
	"time"
)

// TokenLifetime is how long a token from POST /api/login stays good; the
// login answer says so in expires_in.
const TokenLifetime = time.Hour

// MaxQty is the largest quantity one order may ask for.
const MaxQty = 100

// wrongStatusEvery is which orders WithWrongStatus rejects: every 5th.
const wrongStatusEvery = 5

// Option changes how New builds a Server.
type Option func(*Server)

// WithLatency makes every API request wait d before it is handled, so a
// latency check or gate has something to measure. /healthz does not wait.
// A client that goes away during the wait gets no answer and counts only in
// Stats.Requests.
func WithLatency(d time.Duration) Option {
	return func(s *Server) { s.latency = max(d, 0) }
}

// WithWrongStatus makes every 5th valid order (the 5th, 10th, … the server
// receives) answer 201 Created with the body {"status":"rejected"}: the kind
// of bug a status check misses and the check {json: status, equals:
// accepted} catches. Rejected orders are not stored and get no Location.
func WithWrongStatus() Option {
	return func(s *Server) { s.wrongStatus = true }
}

// Stats counts what a Server answered, by endpoint and outcome.
type Stats struct {
	Requests       int64 `json:"requests"`        // every request but GET /healthz, whatever its answer (404 and 405 from routing too)
	Logins         int64 `json:"logins"`          // POST /api/login → 200
	LoginFailures  int64 `json:"login_failures"`  // POST /api/login → 401: unknown email or wrong password
	AccountViews   int64 `json:"account_views"`   // GET /api/account → 200
	OrdersAccepted int64 `json:"orders_accepted"` // POST /api/orders → 201, status accepted
	OrdersRejected int64 `json:"orders_rejected"` // POST /api/orders → 201, status rejected (WithWrongStatus)
	Lookups        int64 `json:"lookups"`         // GET /api/orders/{id} → 200
	LookupMisses   int64 `json:"lookup_misses"`   // GET /api/orders/{id} → 404
	BadTokens      int64 `json:"bad_tokens"`      // → 401 on any endpoint that needs a token: missing, unknown or expired
	BadRequests    int64 `json:"bad_requests"`    // → 400 on any endpoint: a body that is not JSON, or not a valid order
}

// Order is one accepted order, as the API writes it.
type Order struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Item    string `json:"item"`
	Qty     int    `json:"qty"`
	Account string `json:"account"`
}

// Server is the shop API, an http.Handler. Its state lives in memory for
// the life of the value: tokens until they expire, orders for good, so a
// soak that places millions of orders grows it by about 200 bytes each.
type Server struct {
	mux         *http.ServeMux
	accounts    map[string]Account // by email; read-only after New
	latency     time.Duration
	wrongStatus bool
	now         func() time.Time // a test's clock, for token expiry

	mu        sync.Mutex
	tokens    map[string]session // by token
	sweepAt   int                // len(tokens) at which login drops expired tokens
	orders    map[string]Order   // by ID
	ordersOf  map[string]int     // accepted orders by account email
	received  int                // valid orders received, accepted or not
	lastOrder int                // the n of the last ord-<n>
	stats     Stats
}

// session is what a token stands for.
type session struct {
	email   string
	expires time.Time
}

// minSweep keeps small servers from sweeping their tokens on every login.
const minSweep = 1024

// New returns a Server that lets accounts log in. When two accounts share
// an email, the first is the one that can log in.
func New(accounts []Account, opts ...Option) *Server {
	s := &Server{
		mux:      http.NewServeMux(),
		accounts: make(map[string]Account, len(accounts)),
		now:      time.Now,
		tokens:   map[string]session{},
		sweepAt:  minSweep,
		orders:   map[string]Order{},
		ordersOf: map[string]int{},
	}
	for _, a := range accounts {
		if _, dup := s.accounts[a.Email]; !dup {
			s.accounts[a.Email] = a
		}
	}
	for _, opt := range opts {
		opt(s)
	}
	s.mux.HandleFunc("POST /api/login", s.login)
	s.mux.HandleFunc("GET /api/account", s.account)
	s.mux.HandleFunc("POST /api/orders", s.placeOrder)
	s.mux.HandleFunc("GET /api/orders/{id}", s.getOrder)
	s.mux.HandleFunc("GET /healthz", health)
	return s
}

// ServeHTTP counts the request, waits out WithLatency and routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/healthz" {
		s.count(&s.stats.Requests)
		if !sleep(r.Context(), s.latency) {
			return
		}
	}
	s.mux.ServeHTTP(w, r)
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// count adds one to a field of s.stats.
func (s *Server) count(field *int64) {
	s.mu.Lock()
	*field++
	s.mu.Unlock()
}

// sleep waits d, or less if ctx ends first; it reports whether it waited d.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
