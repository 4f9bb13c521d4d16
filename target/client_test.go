package target

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"loadharness/datagen"
)

// reply is one response, read whole and closed.
type reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into a map, failing the test on bad JSON.
func (r reply) JSON(tb testing.TB) map[string]any {
	tb.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		tb.Fatalf("status %d: body is not JSON: %v: %q", r.Status, err, r.Body)
	}
	return m
}

// testClient is one virtual user: its own cookie jar, hence its own session.
type testClient struct {
	tb   testing.TB
	base string
	hc   *http.Client
}

// newTestClient returns a user of base. keepAlive false opens a connection
// per request, so that requests spread over prefork workers.
func newTestClient(tb testing.TB, base string, keepAlive bool) *testClient {
	tb.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		tb.Fatal(err)
	}
	tr := &http.Transport{DisableKeepAlives: !keepAlive}
	tb.Cleanup(tr.CloseIdleConnections)
	return &testClient{tb: tb, base: base, hc: &http.Client{Jar: jar, Transport: tr, Timeout: 20 * time.Second}}
}

func (c *testClient) do(req *http.Request) reply {
	c.tb.Helper()
	resp, err := c.hc.Do(req)
	if err != nil {
		c.tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.tb.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return reply{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

func (c *testClient) get(path string) reply {
	c.tb.Helper()
	req, err := http.NewRequest(http.MethodGet, c.base+path, nil)
	if err != nil {
		c.tb.Fatal(err)
	}
	return c.do(req)
}

func (c *testClient) login(user string) reply {
	c.tb.Helper()
	req, err := http.NewRequest(http.MethodPost, c.base+"/login", strings.NewReader(url.Values{"user": {user}}.Encode()))
	if err != nil {
		c.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

func (c *testClient) upload(csv []byte) reply {
	c.tb.Helper()
	body, ctype := multipartFile(c.tb, "file", csv)
	req, err := http.NewRequest(http.MethodPost, c.base+"/upload", bytes.NewReader(body))
	if err != nil {
		c.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	return c.do(req)
}

// multipartFile builds a form with one file field.
func multipartFile(tb testing.TB, field string, content []byte) ([]byte, string) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, "wards.csv")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := fw.Write(content); err != nil {
		tb.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// mustCSV generates a realistic data set of rows wards.
func mustCSV(tb testing.TB, rows int, seed int64) []byte {
	tb.Helper()
	b, err := datagen.Bytes(datagen.Spec{Rows: rows, Indicators: 4, Seed: seed})
	if err != nil {
		tb.Fatalf("datagen: %v", err)
	}
	return b
}

// mustServer starts a Server behind httptest; cfg starts from DefaultConfig.
func mustServer(tb testing.TB, cfg Config) (*Server, *httptest.Server) {
	tb.Helper()
	if cfg.Logf == nil {
		cfg.Logf = tb.Logf
	}
	s, err := NewServer(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("NewServer: %v", err)
	}
	ts := httptest.NewServer(s.Handler())
	tb.Cleanup(func() {
		ts.Close()
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s, ts
}

// memoryConfig is a Config that needs no Redis: the "before" shape.
func memoryConfig(tb testing.TB) Config {
	cfg := DefaultConfig()
	cfg.SessionStore = SessionStoreMemory
	cfg.DatasetStore = DatasetStoreSession
	cfg.DataDir = tb.TempDir()
	return cfg
}

// redisConfig is a Config with both stores in r.
func redisConfig(tb testing.TB, r *testRedis) Config {
	cfg := DefaultConfig()
	cfg.RedisAddr = r.Addr
	cfg.DataDir = tb.TempDir()
	return cfg
}

// metricValue reads one sample from /metrics text, -1 when absent.
func metricValue(tb testing.TB, c *testClient, series string) float64 {
	tb.Helper()
	r := c.get("/metrics")
	if r.Status != http.StatusOK {
		tb.Fatalf("/metrics: status %d", r.Status)
	}
	for _, line := range strings.Split(string(r.Body), "\n") {
		name, value, ok := strings.Cut(line, " ")
		if ok && name == series {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				tb.Fatalf("metric %s: value %q: %v", series, value, err)
			}
			return v
		}
	}
	return -1
}

// mustServe runs a Server through Serve, with its real http.Server limits
// (header timeout and size), on a loopback port; it returns the host:port.
// Cleanup shuts it down and waits for Serve to return.
func mustServe(tb testing.TB, cfg Config) (*Server, string) {
	tb.Helper()
	if cfg.Logf == nil {
		cfg.Logf = tb.Logf
	}
	s, err := NewServer(tb.Context(), cfg)
	if err != nil {
		tb.Fatalf("NewServer: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			tb.Errorf("Serve: %v", err)
		}
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s, ln.Addr().String()
}

// cookieOf is the session cookie a reply sets, nil when it sets none.
func cookieOf(r reply) *http.Cookie {
	for _, ck := range (&http.Response{Header: r.Header}).Cookies() {
		if ck.Name == sessionCookie {
			return ck
		}
	}
	return nil
}

// mustToken is the session token a reply sets.
func mustToken(tb testing.TB, r reply) string {
	tb.Helper()
	ck := cookieOf(r)
	if ck == nil || ck.Value == "" {
		tb.Fatalf("status %d: no session token in %v", r.Status, r.Header)
	}
	return ck.Value
}

// withToken sends one request carrying exactly the session cookie token (or
// none when it is empty), from a client without a cookie jar: what an
// attacker replaying or forging a token does.
func withToken(tb testing.TB, method, url, token string) reply {
	tb.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	}
	c := &testClient{tb: tb, hc: &http.Client{Timeout: 20 * time.Second}}
	return c.do(req)
}

// randomToken is a token of the shape scs issues that no session has.
func randomToken(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
