package balancer

import (
	"context"
	"errors"
	"net/http"
)

// The balancer's own endpoints; every other path is proxied.
const (
	adminPrefix  = "/lb/"
	healthzPath  = "/lb/healthz"
	backendsPath = "/lb/backends"
)

// serveAdmin answers the balancer's own endpoints, reporting false for any
// other /lb/ path so that it goes to the backends like any request.
func (b *Balancer) serveAdmin(w http.ResponseWriter, r *http.Request) bool {
	switch r.URL.Path {
	case healthzPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			methodNotAllowed(w, "GET, HEAD")
			return true
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	case backendsPath:
		switch r.Method {
		case http.MethodGet, http.MethodHead:
			writeJSON(w, http.StatusOK, map[string][]BackendStatus{"backends": b.Backends()})
		case http.MethodPost:
			b.serveAdd(w, r)
		case http.MethodDelete:
			b.serveRemove(w, r)
		default:
			methodNotAllowed(w, "GET, HEAD, POST, DELETE")
		}
	default:
		return false
	}
	return true
}

// serveAdd is POST /lb/backends with form field url.
func (b *Balancer) serveAdd(w http.ResponseWriter, r *http.Request) {
	u, err := ParseBackendURL(r.PostFormValue("url"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	switch err := b.Add(u); {
	case errors.Is(err, ErrDuplicateBackend):
		writeError(w, http.StatusConflict, err.Error())
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		writeJSON(w, http.StatusCreated, map[string]string{"added": u.String()})
	}
}

// serveRemove is DELETE /lb/backends?url=…: it answers once the backend is
// drained and removed, or removed after the drain timeout with drained false.
func (b *Balancer) serveRemove(w http.ResponseWriter, r *http.Request) {
	u, err := ParseBackendURL(r.URL.Query().Get("url"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), b.drainTimeout)
	defer cancel()
	err = b.Remove(ctx, u)
	switch {
	case errors.Is(err, ErrUnknownBackend):
		writeError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		writeJSON(w, http.StatusOK, map[string]any{"removed": u.String(), "drained": false, "detail": err.Error()})
	case err != nil:
		writeError(w, http.StatusInternalServerError, err.Error())
	default:
		writeJSON(w, http.StatusOK, map[string]any{"removed": u.String(), "drained": true})
	}
}

func methodNotAllowed(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeError(w, http.StatusMethodNotAllowed, "method not allowed")
}
