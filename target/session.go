package target

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/alexedwards/scs/goredisstore"
	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"
)

// Session cookie and keys.
const (
	sessionCookie      = "session"
	sessionKeyPrefix   = "session:"
	keyUser            = "user"
	keyDatasetID       = "dataset_id"
	keyDatasetChecksum = "dataset_checksum"
	keyDatasetBytes    = "dataset"
)

// sessions loads a session before a data handler runs and commits it before
// the response's status line goes out.
//
// It uses scs's SessionManager for the session itself but not its
// LoadAndSave middleware: LoadAndSave commits when the handler first writes,
// and when that commit fails (Redis went away mid-request) it can only call
// ErrorFunc and then let the handler's own status and body follow, so the
// client sees a 500 with two bodies glued together. Here a failed load or
// commit is one clean 503 JSON answer.
type sessions struct {
	manager *scs.SessionManager
	m       *metrics
	logf    func(string, ...any)
	// circuit guards the session store; nil for sessions in memory.
	circuit *breaker
}

func newSessions(cfg Config, rdb *redis.Client, m *metrics, circuit *breaker) *sessions {
	// scs.New also starts a default memstore whose cleanup goroutine lives
	// as long as the process. memstore.StopCleanup cannot be called safely
	// (the goroutine sets the channel it reads without synchronisation), so
	// that goroutine, and the one of the memory store below, are left to
	// run: one idle ticker each per Server.
	sm := scs.New()
	var inner scs.Store
	if cfg.SessionStore == SessionStoreRedis {
		inner = goredisstore.NewWithPrefix(rdb, sessionKeyPrefix)
	} else {
		inner = memstore.NewWithCleanupInterval(time.Minute)
	}
	sm.Store = &observedStore{inner: inner, timeout: cfg.RedisTimeout, m: m, circuit: circuit}
	sm.Codec = markingCodec{}
	sm.IdleTimeout = cfg.IdleTimeout
	sm.Lifetime = cfg.Lifetime
	sm.Cookie.Name = sessionCookie
	sm.Cookie.HttpOnly = true
	sm.Cookie.SameSite = http.SameSiteLaxMode
	sm.Cookie.Path = "/"
	sm.Cookie.Persist = true
	return &sessions{manager: sm, m: m, logf: cfg.Logf, circuit: circuit}
}

// validToken says whether a cookie value could be a token scs issued (32
// random bytes, base64url): anything else is not worth a store lookup.
func validToken(s string) bool {
	if len(s) != base64.RawURLEncoding.EncodedLen(32) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil
}

// middleware loads the request's session (a fresh one when the cookie is
// absent, forged, unknown or expired) and arranges for it to be committed.
// While the store's circuit is open it answers 503 before anything else:
// a request without a cookie would otherwise run its handler (parse an
// upload, say) only to fail at the commit.
func (s *sessions) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		resp := c.Response()
		resp.Header().Add("Vary", "Cookie")
		if s.circuit.refuse() {
			return writeError(c, http.StatusServiceUnavailable, errSessionUnavailable)
		}
		var token string
		if ck, err := req.Cookie(sessionCookie); err == nil && validToken(ck.Value) {
			token = ck.Value
		}
		ctx, err := s.manager.Load(req.Context(), token)
		if errors.Is(err, errSessionCorrupt) {
			// The stored session is unreadable: lost, but the user should
			// not be stuck with it, so start over with a fresh one.
			s.m.serialization.Inc()
			s.logf("session: %v", err)
			ctx, err = s.manager.Load(req.Context(), "")
		}
		if err != nil {
			s.logf("session: %v", err)
			return writeError(c, http.StatusServiceUnavailable, errSessionUnavailable)
		}
		req = req.WithContext(ctx)
		c.SetRequest(req)

		secure := req.TLS != nil || forwardedHTTPS(req.Header.Get("X-Forwarded-Proto"))
		cw := &commitWriter{ResponseWriter: resp.Writer}
		resp.Writer = cw
		resp.Before(func() {
			if err := s.commit(ctx, resp.Header(), secure); err != nil {
				s.logf("session: %v", err)
				resp.Status = http.StatusServiceUnavailable
				cw.fail(resp.Header(), errSessionUnavailable)
			}
		})
		return next(c)
	}
}

// commit saves a modified session and sets its cookie.
func (s *sessions) commit(ctx context.Context, h http.Header, secure bool) error {
	switch s.manager.Status(ctx) {
	case scs.Modified:
		token, expiry, err := s.manager.Commit(ctx)
		if err != nil {
			return err
		}
		writeSessionCookie(h, token, expiry, secure)
	case scs.Destroyed:
		writeSessionCookie(h, "", time.Time{}, secure)
	}
	return nil
}

// forwardedHTTPS says whether an X-Forwarded-Proto value names https as the
// scheme the browser used: the first of a comma-separated list, which the
// balancer nearest the client wrote. A client can set it too, but that can
// only make its own cookie stricter.
func forwardedHTTPS(v string) bool {
	first, _, _ := strings.Cut(v, ",")
	return strings.EqualFold(strings.TrimSpace(first), "https")
}

// writeSessionCookie sets the cookie as scs's WriteSessionCookie does, but
// decides Secure per request: behind a TLS-terminating balancer only the
// X-Forwarded-Proto header says the browser used https.
func writeSessionCookie(h http.Header, token string, expiry time.Time, secure bool) {
	ck := &http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
		Secure:   secure,
	}
	if expiry.IsZero() {
		ck.Expires = time.Unix(1, 0)
		ck.MaxAge = -1
	} else {
		ck.Expires = time.Unix(expiry.Unix()+1, 0)
		ck.MaxAge = int(time.Until(expiry).Seconds() + 1)
	}
	h.Add("Set-Cookie", ck.String())
	h.Add("Cache-Control", `no-cache="Set-Cookie"`)
}

// login renews the token (against session fixation) and remembers user. A
// different user than before starts from an empty session, so nobody inherits
// someone else's data set. It reports whether a live session was renewed.
func (s *sessions) login(ctx context.Context, user string) (renewed bool, err error) {
	renewed = s.manager.Token(ctx) != ""
	if prev := s.manager.GetString(ctx, keyUser); prev != "" && prev != user {
		if err := s.manager.Clear(ctx); err != nil {
			return false, err
		}
	}
	if err := s.manager.RenewToken(ctx); err != nil {
		return false, err
	}
	s.manager.Put(ctx, keyUser, user)
	return renewed, nil
}

// logout destroys the session: its entry leaves the store, so its token can
// never be replayed, and the commit expires the cookie. It reports whether
// there was a stored session to end; a request that brought none has
// nothing to destroy and costs no store call.
func (s *sessions) logout(ctx context.Context) (ended bool, err error) {
	if s.manager.Token(ctx) == "" {
		return false, nil
	}
	if err := s.manager.Destroy(ctx); err != nil {
		return false, err
	}
	return true, nil
}

// user is the logged-in user's name, empty before login.
func (s *sessions) user(ctx context.Context) string {
	return s.manager.GetString(ctx, keyUser)
}

// datasetRef is what the session says about its data set.
type datasetRef struct {
	ID       string
	Checksum string
}

// dataset returns the session's data-set reference, if any.
func (s *sessions) dataset(ctx context.Context) (datasetRef, bool) {
	ref := datasetRef{
		ID:       s.manager.GetString(ctx, keyDatasetID),
		Checksum: s.manager.GetString(ctx, keyDatasetChecksum),
	}
	return ref, ref.ID != ""
}

// setDataset points the session at a data set.
func (s *sessions) setDataset(ctx context.Context, ref datasetRef) {
	s.manager.Put(ctx, keyDatasetID, ref.ID)
	s.manager.Put(ctx, keyDatasetChecksum, ref.Checksum)
}

// encodedSizeWith is how many bytes the session would take in its store with
// key set to val: the number a session backend with a size cap looks at.
func (s *sessions) encodedSizeWith(ctx context.Context, key string, val any) (int, error) {
	values := make(map[string]any)
	for _, k := range s.manager.Keys(ctx) {
		values[k] = s.manager.Get(ctx, k)
	}
	values[key] = val
	b, err := s.manager.Codec.Encode(s.manager.Deadline(ctx), values)
	if err != nil {
		return 0, err
	}
	return len(b), nil
}

// commitWriter lets the session middleware replace the handler's answer by
// an error when the session could not be committed: the status is changed in
// a Before hook, and the handler's body is swallowed here.
type commitWriter struct {
	http.ResponseWriter
	failBody []byte
	wrote    bool
}

// fail switches the writer to answer body instead of the handler's.
func (w *commitWriter) fail(h http.Header, msg string) {
	for _, k := range []string{"Content-Length", "Content-Encoding", headerDatasetID, headerDatasetChecksum} {
		h.Del(k)
	}
	h.Set("Content-Type", "application/json")
	w.failBody = errorJSON(msg)
}

// WriteHeader sends the status and, after a failed commit, the error body.
func (w *commitWriter) WriteHeader(code int) {
	w.ResponseWriter.WriteHeader(code)
	if w.failBody != nil && !w.wrote {
		w.wrote = true
		_, _ = w.ResponseWriter.Write(w.failBody)
	}
}

// Write passes the handler's body through unless the commit failed.
func (w *commitWriter) Write(b []byte) (int, error) {
	if w.failBody != nil {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *commitWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
