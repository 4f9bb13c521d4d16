package balancer_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"loadharness/target/balancer"
)

func TestPassesRequestAndResponseThrough(t *testing.T) {
	type seen struct{ host, xff, method, body, cookie string }
	got := make(chan seen, 1)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c, _ := r.Cookie("session")
		cookie := ""
		if c != nil {
			cookie = c.Value
		}
		got <- seen{host: r.Host, xff: r.Header.Get("X-Forwarded-For"), method: r.Method, body: string(body), cookie: cookie}
		w.Header().Set("X-Instance", "i1")
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "new"})
		w.WriteHeader(http.StatusTeapot)
		fmt.Fprint(w, `{"error":"teapot"}`)
	}))
	defer backend.Close()
	b, err := balancer.New([]*url.URL{mustParse(t, backend.URL)})
	if err != nil {
		t.Fatal(err)
	}

	r := httptest.NewRequest(http.MethodPost, "http://lb.example/upload?x=1", strings.NewReader("a,b\n1,2\n"))
	r.RemoteAddr = "192.0.2.7:5555"
	r.Header.Set("X-Forwarded-For", "10.0.0.1")
	r.AddCookie(&http.Cookie{Name: "session", Value: "tok"})
	w := do(b, r)

	if got, want := w.Code, http.StatusTeapot; got != want {
		t.Errorf("status %d, want %d (backend statuses pass through)", got, want)
	}
	if got, want := w.Header().Get("X-Instance"), "i1"; got != want {
		t.Errorf("X-Instance %q, want %q", got, want)
	}
	if got, want := w.Header().Get("Set-Cookie"), "session=new"; got != want {
		t.Errorf("Set-Cookie %q, want %q", got, want)
	}
	if got, want := w.Body.String(), `{"error":"teapot"}`; got != want {
		t.Errorf("body %q, want %q", got, want)
	}
	s := <-got
	want := seen{host: "lb.example", xff: "10.0.0.1, 192.0.2.7", method: http.MethodPost, body: "a,b\n1,2\n", cookie: "tok"}
	if s != want {
		t.Errorf("backend saw %+v, want %+v", s, want)
	}
	if !b.Backends()[0].Healthy {
		t.Errorf("an error status from the backend marked it unhealthy")
	}
}

func TestStreamsAreFlushed(t *testing.T) {
	release := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "first")
		http.NewResponseController(w).Flush()
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		fmt.Fprintln(w, "second")
	}))
	defer backend.Close()
	defer close(release)
	b, err := balancer.New([]*url.URL{mustParse(t, backend.URL)})
	if err != nil {
		t.Fatal(err)
	}
	lb := httptest.NewServer(b)
	defer lb.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, lb.URL+"/stream", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil {
		t.Fatalf("first chunk did not arrive before the backend finished: %v", err)
	}
	if got, want := line, "first\n"; got != want {
		t.Errorf("first chunk %q, want %q", got, want)
	}
}

// brokenBody yields a little and then fails, as a client that resets its
// connection in the middle of an upload.
type brokenBody struct{ sent bool }

func (b *brokenBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, "a,b\n"), nil
	}
	return 0, errors.New("connection reset by client")
}

func TestClientFailuresDoNotMarkBackendDown(t *testing.T) {
	tests := []struct {
		name     string
		request  func(be *testBackend) *http.Request
		wantCode int
	}{
		{
			name: "client body breaks off",
			request: func(*testBackend) *http.Request {
				r := httptest.NewRequest(http.MethodPost, "/upload", io.NopCloser(&brokenBody{}))
				r.ContentLength = 1 << 20
				return r
			},
			wantCode: http.StatusBadRequest,
		},
		{
			name: "client gives up",
			request: func(be *testBackend) *http.Request {
				ctx, cancel := context.WithCancel(context.Background())
				go func() { <-be.entered; cancel() }()
				return httptest.NewRequest(http.MethodGet, "/slow", nil).WithContext(ctx)
			},
			wantCode: http.StatusBadGateway,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			be := mustBackend(t, "a")
			defer close(be.gate)
			b := mustBalancer(t, []*testBackend{be})
			w := do(b, tt.request(be))
			if got, want := w.Code, tt.wantCode; got != want {
				t.Errorf("status %d, want %d; body %s", got, want, w.Body)
			}
			if st := b.Backends()[0]; !st.Healthy {
				t.Errorf("client failure marked the backend down: %+v", st)
			}
		})
	}
}

func TestAdminEndpoints(t *testing.T) {
	tests := []struct {
		name     string
		method   string
		target   func(known, other string) string
		form     func(known, other string) string
		wantCode int
		wantBody string
		wantN    int // backends afterwards
	}{
		{name: "healthz", method: http.MethodGet, target: fixed("/lb/healthz"), wantCode: 200, wantBody: "ok", wantN: 1},
		{name: "list", method: http.MethodGet, target: fixed("/lb/backends"), wantCode: 200, wantBody: `"healthy":true`, wantN: 1},
		{name: "add", method: http.MethodPost, target: fixed("/lb/backends"), form: func(_, o string) string { return "url=" + o }, wantCode: 201, wantBody: `"added"`, wantN: 2},
		{name: "add duplicate", method: http.MethodPost, target: fixed("/lb/backends"), form: func(k, _ string) string { return "url=" + k + "/" }, wantCode: 409, wantBody: "already added", wantN: 1},
		{name: "add bad url", method: http.MethodPost, target: fixed("/lb/backends"), form: func(_, _ string) string { return "url=ftp://x" }, wantCode: 400, wantBody: "scheme", wantN: 1},
		{name: "add nothing", method: http.MethodPost, target: fixed("/lb/backends"), form: func(_, _ string) string { return "" }, wantCode: 400, wantBody: "error", wantN: 1},
		{name: "remove", method: http.MethodDelete, target: func(k, _ string) string { return "/lb/backends?url=" + k }, wantCode: 200, wantBody: `"drained":true`, wantN: 0},
		{name: "remove unknown", method: http.MethodDelete, target: func(_, o string) string { return "/lb/backends?url=" + o }, wantCode: 404, wantBody: "no such backend", wantN: 1},
		{name: "wrong method", method: http.MethodPut, target: fixed("/lb/backends"), wantCode: 405, wantBody: "method not allowed", wantN: 1},
		{name: "other lb path is proxied", method: http.MethodGet, target: fixed("/lb/other"), wantCode: 200, wantBody: "known", wantN: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			known, other := mustBackend(t, "known"), mustBackend(t, "other")
			b := mustBalancer(t, []*testBackend{known})
			var body io.Reader
			if tt.form != nil {
				body = strings.NewReader(tt.form(known.url.String(), other.url.String()))
			}
			r := httptest.NewRequest(tt.method, tt.target(known.url.String(), other.url.String()), body)
			if tt.form != nil {
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			w := do(b, r)
			if got, want := w.Code, tt.wantCode; got != want {
				t.Errorf("status %d, want %d; body %s", got, want, w.Body)
			}
			if got := w.Body.String(); !strings.Contains(got, tt.wantBody) {
				t.Errorf("body %q, want it to contain %q", got, tt.wantBody)
			}
			if got, want := len(b.Backends()), tt.wantN; got != want {
				t.Errorf("%d backends afterwards, want %d", got, want)
			}
		})
	}
}

func fixed(path string) func(string, string) string {
	return func(string, string) string { return path }
}
