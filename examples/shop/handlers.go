package shop

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxBody bounds a request body: logins and orders are a few dozen bytes.
const maxBody = 64 << 10

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type loginReply struct {
	Token     string `json:"token"`
	ExpiresIn int    `json:"expires_in"`
}

type accountReply struct {
	Email  string `json:"email"`
	Name   string `json:"name"`
	Orders int    `json:"orders"`
}

type orderRequest struct {
	Item string `json:"item"`
	Qty  int    `json:"qty"`
}

type rejectedReply struct {
	Status string `json:"status"`
}

type errorReply struct {
	Error string `json:"error"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var in loginRequest
	if err := decode(w, r, &in); err != nil {
		s.badRequest(w, err)
		return
	}
	acc, known := s.accounts[in.Email]
	// Compare even for an unknown email, so both failures take as long.
	right := subtle.ConstantTimeCompare([]byte(acc.Password), []byte(in.Password)) == 1
	if !known || !right || in.Password == "" {
		s.count(&s.stats.LoginFailures)
		writeJSON(w, http.StatusUnauthorized, errorReply{"bad credentials"})
		return
	}
	token := newToken()
	now := s.now()
	s.mu.Lock()
	s.sweepLocked(now)
	s.tokens[token] = session{email: acc.Email, expires: now.Add(TokenLifetime)}
	s.stats.Logins++
	s.mu.Unlock()
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, loginReply{Token: token, ExpiresIn: int(TokenLifetime / time.Second)})
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	email, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	acc := s.accounts[email]
	s.mu.Lock()
	n := s.ordersOf[email]
	s.stats.AccountViews++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, accountReply{Email: acc.Email, Name: acc.Name, Orders: n})
}

func (s *Server) placeOrder(w http.ResponseWriter, r *http.Request) {
	email, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	var in orderRequest
	if err := decode(w, r, &in); err != nil {
		s.badRequest(w, err)
		return
	}
	switch {
	case strings.TrimSpace(in.Item) == "":
		s.badRequest(w, errors.New("item must not be empty"))
		return
	case in.Qty < 1 || in.Qty > MaxQty:
		s.badRequest(w, fmt.Errorf("qty must be 1..%d, not %d", MaxQty, in.Qty))
		return
	}

	s.mu.Lock()
	s.received++
	if s.wrongStatus && s.received%wrongStatusEvery == 0 {
		s.stats.OrdersRejected++
		s.mu.Unlock()
		writeJSON(w, http.StatusCreated, rejectedReply{Status: "rejected"})
		return
	}
	s.lastOrder++
	o := Order{
		ID:      "ord-" + strconv.Itoa(s.lastOrder),
		Status:  "accepted",
		Item:    in.Item,
		Qty:     in.Qty,
		Account: email,
	}
	s.orders[o.ID] = o
	s.ordersOf[email]++
	s.stats.OrdersAccepted++
	s.mu.Unlock()
	w.Header().Set("Location", "/api/orders/"+o.ID)
	writeJSON(w, http.StatusCreated, o)
}

func (s *Server) getOrder(w http.ResponseWriter, r *http.Request) {
	email, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	o, found := s.orders[r.PathValue("id")]
	// Another account's order is as absent as one never placed: a 403
	// would tell a caller which order IDs exist.
	found = found && o.Account == email
	if found {
		s.stats.Lookups++
	} else {
		s.stats.LookupMisses++
	}
	s.mu.Unlock()
	if !found {
		writeJSON(w, http.StatusNotFound, errorReply{"no such order"})
		return
	}
	writeJSON(w, http.StatusOK, o)
}

func health(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "ok")
}

// authenticate returns the email of the account whose bearer token r
// carries; when there is none it has answered 401 and ok is false.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (email string, ok bool) {
	token := bearer(r.Header.Get("Authorization"))
	now := s.now()
	s.mu.Lock()
	sess, found := s.tokens[token]
	if found && !now.Before(sess.expires) {
		delete(s.tokens, token)
		found = false
	}
	if !found {
		s.stats.BadTokens++
	}
	s.mu.Unlock()
	if !found {
		w.Header().Set("WWW-Authenticate", `Bearer realm="shop"`)
		writeJSON(w, http.StatusUnauthorized, errorReply{"bad token"})
		return "", false
	}
	return sess.email, true
}

// bearer returns the token of an Authorization header value of the
// "Bearer <token>" form, or "" for any other.
func bearer(header string) string {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// sweepLocked drops expired tokens once their map has doubled since the
// last sweep, so a long run of logins keeps only the live ones and a login
// pays O(1) on average. The caller holds s.mu.
func (s *Server) sweepLocked(now time.Time) {
	if len(s.tokens) < s.sweepAt {
		return
	}
	for token, sess := range s.tokens {
		if !now.Before(sess.expires) {
			delete(s.tokens, token)
		}
	}
	s.sweepAt = max(2*len(s.tokens), minSweep)
}

// newToken returns 32 random bytes in hex.
func newToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read does not fail; it would crash the program first
	return hex.EncodeToString(b[:])
}

// decode reads one JSON value from r's body into v; anything after it, or
// a body over maxBody, is an error.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("bad JSON: %w", err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return errors.New("bad JSON: more after the object")
	}
	return nil
}

// badRequest answers 400 with err's message.
func (s *Server) badRequest(w http.ResponseWriter, err error) {
	s.count(&s.stats.BadRequests)
	writeJSON(w, http.StatusBadRequest, errorReply{err.Error()})
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only this file's reply types come here, and they always marshal.
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
