package target

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"
)

// Bounds of a login.
const (
	maxUserName  = 128
	maxLoginBody = 16 << 10
)

// loginReply is the body of a successful POST /login.
type loginReply struct {
	User    string `json:"user"`
	Renewed bool   `json:"renewed"`
}

// datasetReply is the body of POST /upload (without User) and GET /dataset.
type datasetReply struct {
	ID       string `json:"id"`
	Rows     int    `json:"rows"`
	Columns  int    `json:"columns"`
	Checksum string `json:"checksum"`
	User     string `json:"user,omitempty"`
}

// logoutReply is the body of POST /logout.
type logoutReply struct {
	User      string `json:"user"`
	LoggedOut bool   `json:"logged_out"`
}

// login starts or renews the session for the form's user.
func (s *Server) login(c echo.Context) error {
	// A login form is tiny; without a cap, form parsing would buffer up to
	// 32 MiB of whatever a client sends.
	req := c.Request()
	req.Body = http.MaxBytesReader(c.Response(), req.Body, maxLoginBody)
	// Parse here rather than let FormValue swallow the error: a body too
	// large or too slow to arrive is not a missing user name.
	// (ParseMultipartForm alone would hide ParseForm's error behind
	// ErrNotMultipart for a url-encoded form.)
	err := req.ParseForm()
	if err == nil {
		err = req.ParseMultipartForm(maxLoginBody)
	}
	if err != nil && !errors.Is(err, http.ErrNotMultipart) {
		if f := bodyFailure(err); f != nil {
			return f.write(c)
		}
		return writeError(c, http.StatusBadRequest, "login: unreadable form")
	}
	user := strings.TrimSpace(c.FormValue("user"))
	if user == "" || len(user) > maxUserName || !utf8.ValidString(user) {
		return writeError(c, http.StatusBadRequest, "login: form field user must be 1..128 bytes of UTF-8")
	}
	renewed, err := s.sessions.login(c.Request().Context(), user)
	if err != nil {
		s.cfg.Logf("login: %v", err)
		return writeError(c, http.StatusServiceUnavailable, errSessionUnavailable)
	}
	return c.JSON(http.StatusOK, loginReply{User: user, Renewed: renewed})
}

// logout ends the session and drops its data set, which nothing points at
// any more. The old token then opens nothing: a request bringing it gets a
// fresh, empty session.
func (s *Server) logout(c echo.Context) error {
	ctx := c.Request().Context()
	user := s.sessions.user(ctx)
	ref, hasData := s.sessions.dataset(ctx)
	ended, err := s.sessions.logout(ctx)
	if err != nil {
		s.cfg.Logf("logout: %v", err)
		return writeError(c, http.StatusServiceUnavailable, errSessionUnavailable)
	}
	if ended && hasData {
		// Best effort, as at a re-upload: the TTL collects what this misses.
		if err := s.datasets.Delete(ctx, ref.ID); err != nil {
			s.cfg.Logf("drop data set at logout: %v", err)
		}
	}
	return c.JSON(http.StatusOK, logoutReply{User: user, LoggedOut: ended})
}

// dataset describes the session's data set.
func (s *Server) dataset(c echo.Context) error {
	ds, ref, f := s.loadDataset(c)
	if f != nil {
		return f.write(c)
	}
	return c.JSON(http.StatusOK, datasetReply{
		ID:       ref.ID,
		Rows:     ds.Rows(),
		Columns:  ds.Columns(),
		Checksum: ref.Checksum,
		User:     s.sessions.user(c.Request().Context()),
	})
}

// healthz says the process answers.
func (s *Server) healthz(c echo.Context) error {
	return c.String(http.StatusOK, "ok")
}

// readyz says whether the stores this worker depends on answer. An open
// circuit is not ready without asking Redis: the worker would answer 503
// anyway, and a balancer should send the traffic elsewhere until the
// cool-down has passed and Redis answers again.
func (s *Server) readyz(c echo.Context) error {
	ctx := c.Request().Context()
	for _, g := range []struct {
		circuit *breaker
		msg     string
	}{{s.sessionCircuit, errSessionUnavailable}, {s.datasetCircuit, errDatasetUnavailable}} {
		if g.circuit.State() == circuitOpen {
			return writeError(c, http.StatusServiceUnavailable, g.msg+": circuit open")
		}
	}
	if s.rdb != nil {
		if err := ping(ctx, s.rdb, s.cfg.RedisTimeout); err != nil {
			return writeError(c, http.StatusServiceUnavailable, err.Error())
		}
	}
	if s.cfg.DatasetStore == DatasetStoreFile {
		if _, err := os.Stat(s.cfg.DataDir); err != nil {
			return writeError(c, http.StatusServiceUnavailable, "data dir: "+err.Error())
		}
	}
	return c.String(http.StatusOK, "ready")
}

// failure is an error answer decided below a handler, written by it.
type failure struct {
	code int
	body errorBody
}

func (f *failure) write(c echo.Context) error { return c.JSON(f.code, f.body) }

// storeFailure classifies a data-set store error. A data set the session
// points at but the store does not have is the server's fault (500), not the
// client's: it is exactly the loss the harness hunts for.
func (s *Server) storeFailure(ref datasetRef, err error) *failure {
	var tooLarge *tooLargeError
	switch {
	case errors.Is(err, errDatasetMissing):
		// The session names a data set this instance cannot find (kept on
		// another instance's disk, or expired): for the user the data is
		// gone, which is 410, not a server fault to retry.
		return &failure{http.StatusGone, errorBody{Error: errDatasetMissing.Error(), ID: ref.ID}}
	case errors.As(err, &tooLarge):
		s.m.serialization.Inc()
		return &failure{http.StatusInsufficientStorage, errorBody{Error: tooLarge.Error()}}
	case errors.Is(err, errStoreUnavailable), errors.Is(err, context.DeadlineExceeded):
		s.cfg.Logf("dataset store: %v", err)
		return &failure{http.StatusServiceUnavailable, errorBody{Error: errDatasetUnavailable}}
	default:
		s.cfg.Logf("dataset store: %v", err)
		return &failure{http.StatusInternalServerError, errorBody{Error: "dataset store failed", ID: ref.ID}}
	}
}
