package balancer

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"sync/atomic"
)

// ServeHTTP answers the balancer's own /lb/ endpoints and proxies every
// other request, unchanged, to the next healthy backend. It never retries:
// a backend failure answers 502 and takes the backend out; with no healthy
// backend it fails open over all of them (see WithFailOpen), and answers 503
// only when there is none to try.
func (b *Balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) && b.serveAdmin(w, r) {
		return
	}
	be := b.pick()
	if be == nil {
		// Precomputed: with every backend down this answer is the hot path.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write(noHealthyBody)
		return
	}
	defer be.inFlight.Add(-1) // deferred so an aborted response still counts out
	be.served.Add(1)
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		r.Body = &clientBody{ReadCloser: r.Body}
	}
	be.proxy.ServeHTTP(w, r)
}

var noHealthyBody = []byte(`{"error":"no healthy backend"}` + "\n")

// pick returns the next eligible backend, already counted in flight, or nil.
// With no eligible backend it fails open (when allowed) over every backend
// that is not draining.
func (b *Balancer) pick() *backend {
	ready := *b.ready.Load()
	if len(ready) == 0 && b.failOpen {
		ready = *b.open.Load()
	}
	return pickFrom(ready, &b.next)
}

// pickFrom takes the next backend of ready round robin. Counting before
// checking the draining flag is what lets Remove wait exactly: a request
// that sees the flag clear is visible to Remove's count.
func pickFrom(ready []*backend, next *atomic.Uint64) *backend {
	for range len(ready) {
		be := ready[(next.Add(1)-1)%uint64(len(ready))]
		be.inFlight.Add(1)
		if !be.draining.Load() {
			return be
		}
		be.inFlight.Add(-1) // a stale snapshot: try the next one
	}
	return nil
}

// newProxy builds be's reverse proxy on the shared transport.
func (b *Balancer) newProxy(be *backend) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(be.url)
			// Pass the client's Host through, as a cloud balancer does.
			pr.Out.Host = pr.In.Host
			// Append to the inbound X-Forwarded-For instead of replacing it.
			if xff, ok := pr.In.Header["X-Forwarded-For"]; ok {
				pr.Out.Header["X-Forwarded-For"] = xff
			}
			pr.SetXForwarded()
		},
		Transport: b.transport,
		// The zero FlushInterval already flushes at once when the length is
		// unknown (streams, server-sent events); fixed-length bodies need no flush.
		BufferPool: &b.bufs,
		ErrorLog:   b.errorLog,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			b.proxyError(be, w, r, err)
		},
	}
}

// proxyError answers a request that got no response from be. A failure of
// the client (gone, or its body broke off) says nothing of the backend; any
// other failure takes the backend out until a health check passes.
func (b *Balancer) proxyError(be *backend, w http.ResponseWriter, r *http.Request, err error) {
	var cb *clientBodyError
	switch {
	case errors.As(err, &cb):
		writeError(w, http.StatusBadRequest, "read request body: "+cb.err.Error())
	case r.Context().Err() != nil:
		// Nobody is left to read this answer; it only keeps access logs honest.
		writeError(w, http.StatusBadGateway, "client went away: "+err.Error())
	default:
		b.markDown(be, err)
		writeError(w, http.StatusBadGateway, "backend "+be.key+": "+err.Error())
	}
}

// clientBody marks errors reading the client's request body, so that a
// client breaking off an upload is not blamed on the backend.
type clientBody struct {
	io.ReadCloser
}

func (c *clientBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		err = &clientBodyError{err: err}
	}
	return n, err
}

// clientBodyError is an error reading the client's request body.
type clientBodyError struct{ err error }

func (e *clientBodyError) Error() string { return "read client body: " + e.err.Error() }
func (e *clientBodyError) Unwrap() error { return e.err }

// writeError answers with the target's error shape, {"error": msg}.
func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		code, body = http.StatusInternalServerError, []byte(`{"error":"encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}

// bufferPool recycles the proxy's 32 KiB copy buffers, which it would
// otherwise allocate for every response.
type bufferPool struct{ pool sync.Pool }

const copyBufferSize = 32 << 10

func (p *bufferPool) Get() []byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, copyBufferSize)
}

func (p *bufferPool) Put(b []byte) {
	if cap(b) == copyBufferSize {
		p.pool.Put(&b)
	}
}

// logfWriter turns the proxy's log lines into Logf calls.
type logfWriter func(format string, args ...any)

func (f logfWriter) Write(p []byte) (int, error) {
	f("balancer: %s", strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
