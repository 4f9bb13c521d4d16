package target

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestHappyPath walks login, upload, dataset and map in every store shape.
func TestHappyPath(t *testing.T) {
	r := mustStartRedis(t)
	cases := []struct {
		name           string
		sessions, data string
	}{
		{"after: redis sessions, redis data sets", SessionStoreRedis, DatasetStoreRedis},
		{"redis sessions, data set in session", SessionStoreRedis, DatasetStoreSession},
		{"redis sessions, data set on disk", SessionStoreRedis, DatasetStoreFile},
		{"before: memory sessions, data set in session", SessionStoreMemory, DatasetStoreSession},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := redisConfig(t, r)
			cfg.Instance = "i1"
			cfg.SessionStore, cfg.DatasetStore = tc.sessions, tc.data
			_, ts := mustServer(t, cfg)
			c := newTestClient(t, ts.URL, true)

			login := c.login("u1")
			if got, want := login.Status, http.StatusOK; got != want {
				t.Fatalf("login: status %d, want %d: %s", got, want, login.Body)
			}
			if got, want := login.JSON(t)["user"], "u1"; got != want {
				t.Errorf("login: user %v, want %v", got, want)
			}
			assertCookie(t, login)

			up := c.upload(mustCSV(t, 120, 1))
			if got, want := up.Status, http.StatusCreated; got != want {
				t.Fatalf("upload: status %d, want %d: %s", got, want, up.Body)
			}
			upBody := up.JSON(t)
			id, sum := upBody["id"], upBody["checksum"]
			if got, want := upBody["rows"], float64(120); got != want {
				t.Errorf("upload: rows %v, want %v", got, want)
			}
			if got, want := up.Header.Get("X-Dataset-Id"), id; got != want {
				t.Errorf("upload: X-Dataset-Id %q, want %v", got, want)
			}

			ds := c.get("/dataset")
			if got, want := ds.Status, http.StatusOK; got != want {
				t.Fatalf("dataset: status %d, want %d: %s", got, want, ds.Body)
			}
			body := ds.JSON(t)
			for _, kv := range []struct {
				key  string
				want any
			}{{"id", id}, {"checksum", sum}, {"user", "u1"}, {"rows", float64(120)}} {
				if got := body[kv.key]; got != kv.want {
					t.Errorf("dataset: %s = %v, want %v", kv.key, got, kv.want)
				}
			}
			for h, want := range map[string]any{"X-Instance": "i1", "X-Worker": "0", "X-Dataset-Id": id, "X-Dataset-Checksum": sum} {
				if got := ds.Header.Get(h); got != want {
					t.Errorf("dataset: %s = %q, want %v", h, got, want)
				}
			}

			if got, want := c.get("/map?indicator=no_such_column").Status, http.StatusBadRequest; got != want {
				t.Errorf("map of an unknown indicator: status %d, want %d", got, want)
			}
			m := c.get("/map?indicator=test_positivity_rate")
			if got, want := m.Status, http.StatusOK; got != want {
				t.Fatalf("map: status %d, want %d: %s", got, want, m.Body)
			}
			if got, want := m.Header.Get("Content-Type"), "image/svg+xml"; got != want {
				t.Errorf("map: content type %q, want %q", got, want)
			}
			assertWellFormedXML(t, m.Body)
			if got, want := bytes.Count(m.Body, []byte("<polygon")), 120; got != want {
				t.Errorf("map: %d wards drawn, want %d", got, want)
			}
		})
	}
}

func assertCookie(t *testing.T, r reply) {
	t.Helper()
	var ck *http.Cookie
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "session" {
			ck = c
		}
	}
	if ck == nil {
		t.Fatalf("no session cookie in %v", r.Header)
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Secure {
		t.Errorf("cookie %v: want HttpOnly, SameSite=Lax, Path=/, not Secure over plain http", ck)
	}
}

func assertWellFormedXML(t testing.TB, b []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(b))
	for {
		_, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%.400s", err, b)
		}
	}
}

func TestUploadRejections(t *testing.T) {
	big := mustCSV(t, 400, 2)
	cases := []struct {
		name       string
		limits     func(*Config)
		body       func(t *testing.T) ([]byte, string)
		wantStatus int
		wantRowCol bool
	}{
		{
			name:   "larger than MaxBytes",
			limits: func(c *Config) { c.Limits.MaxBytes = 4096 },
			body:   func(t *testing.T) ([]byte, string) { return multipartFile(t, "file", big) },
			// The body cap (MaxBytes plus framing) or the parser stops it.
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "more rows than MaxRows",
			limits:     func(c *Config) { c.Limits.MaxRows = 50 },
			body:       func(t *testing.T) ([]byte, string) { return multipartFile(t, "file", big) },
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name:       "more columns than MaxColumns",
			limits:     func(c *Config) { c.Limits.MaxColumns = 3 },
			body:       func(t *testing.T) ([]byte, string) { return multipartFile(t, "file", big) },
			wantStatus: http.StatusRequestEntityTooLarge,
		},
		{
			name: "malformed CSV",
			body: func(t *testing.T) ([]byte, string) {
				return multipartFile(t, "file", []byte("ward,tpr\nA,1\nB,\"2\nC,3\n"))
			},
			wantStatus: http.StatusBadRequest,
			wantRowCol: true,
		},
		{
			name: "no file field",
			body: func(t *testing.T) ([]byte, string) {
				return multipartFile(t, "attachment", big)
			},
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "not multipart",
			body:       func(t *testing.T) ([]byte, string) { return big, "text/csv" },
			wantStatus: http.StatusBadRequest,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := memoryConfig(t)
			if tc.limits != nil {
				tc.limits(&cfg)
			}
			_, ts := mustServer(t, cfg)
			c := newTestClient(t, ts.URL, true)
			body, ctype := tc.body(t)
			req, err := http.NewRequest(http.MethodPost, ts.URL+"/upload", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", ctype)
			r := c.do(req)
			if got, want := r.Status, tc.wantStatus; got != want {
				t.Fatalf("status %d, want %d: %s", got, want, r.Body)
			}
			got := r.JSON(t)
			if msg, _ := got["error"].(string); msg == "" {
				t.Errorf("no error message in %s", r.Body)
			}
			if tc.wantRowCol {
				if row, _ := got["row"].(float64); row < 2 {
					t.Errorf("row %v, want a data row (>= 2) in %s", got["row"], r.Body)
				}
				if _, ok := got["column"].(float64); !ok {
					t.Errorf("no column in %s", r.Body)
				}
			}
			if got, want := r.Header.Get("X-Instance"), DefaultInstance; got != want {
				t.Errorf("X-Instance %q, want %q on errors too", got, want)
			}
			// Nothing was kept.
			if got, want := c.get("/dataset").Status, http.StatusNotFound; got != want {
				t.Errorf("dataset after a rejected upload: status %d, want %d", got, want)
			}
		})
	}
}

// TestForgedCookieGetsFreshSession checks that no cookie value, however
// close to a real one, opens someone else's session.
func TestForgedCookieGetsFreshSession(t *testing.T) {
	r := mustStartRedis(t)
	_, ts := mustServer(t, redisConfig(t, r))
	owner := newTestClient(t, ts.URL, true)
	owner.login("owner")
	upload := owner.upload(mustCSV(t, 20, 3))
	if got, want := upload.Status, http.StatusCreated; got != want {
		t.Fatalf("upload: status %d, want %d", got, want)
	}
	up := upload.JSON(t)
	u, _ := url.Parse(ts.URL)
	var real string
	for _, ck := range owner.hc.Jar.Cookies(u) {
		if ck.Name == "session" {
			real = ck.Value
		}
	}
	if real == "" {
		t.Fatal("owner has no session cookie")
	}
	flipped := []byte(real)
	flipped[5] ^= 1
	cases := []struct{ name, value string }{
		{"one bit off the owner's token", string(flipped)},
		{"random token of the right shape", randomToken(t)},
		{"all A of the right length", strings.Repeat("A", len(real))},
		{"the owner's token, truncated", real[:len(real)-1]},
		{"the owner's token and one more byte", real + "A"},
		{"the owner's token, upper-cased", strings.ToUpper(real)},
		{"the owner's token, padded base64", real + "="},
		{"the owner's Redis key", sessionKeyPrefix + real},
		{"the owner's data-set id", fmt.Sprint(up["id"])},
		{"garbage", "<script>alert(1)</script>"},
		{"very long", strings.Repeat("x", 4000)},
		{"empty", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, ts.URL, true)
			req, err := http.NewRequest(http.MethodGet, ts.URL+"/dataset", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.AddCookie(&http.Cookie{Name: "session", Value: tc.value})
			got := c.do(req)
			if got.Status != http.StatusNotFound {
				t.Fatalf("status %d, want 404 (a fresh, empty session): %s", got.Status, got.Body)
			}
			if id := got.Header.Get("X-Dataset-Id"); id != "" {
				t.Errorf("X-Dataset-Id %q leaked into a forged session", id)
			}
		})
	}
}

func TestUsersNeverSeeEachOthersData(t *testing.T) {
	r := mustStartRedis(t)
	_, ts := mustServer(t, redisConfig(t, r))
	type user struct {
		c       *testClient
		id, sum any
	}
	users := make([]user, 3)
	for i := range users {
		c := newTestClient(t, ts.URL, true)
		c.login("u" + string(rune('1'+i)))
		up := c.upload(mustCSV(t, 30+i, int64(10+i)))
		if up.Status != http.StatusCreated {
			t.Fatalf("user %d upload: %d %s", i, up.Status, up.Body)
		}
		b := up.JSON(t)
		users[i] = user{c, b["id"], b["checksum"]}
	}
	for i, u := range users {
		b := u.c.get("/dataset").JSON(t)
		if b["id"] != u.id || b["checksum"] != u.sum {
			t.Errorf("user %d sees %v/%v, want own %v/%v", i, b["id"], b["checksum"], u.id, u.sum)
		}
	}
	// A second login under another name in the same browser starts clean.
	if got, want := users[0].c.login("someone-else").JSON(t)["renewed"], true; got != want {
		t.Errorf("renewed %v, want %v", got, want)
	}
	if got, want := users[0].c.get("/dataset").Status, http.StatusNotFound; got != want {
		t.Errorf("another user in the same session: /dataset %d, want %d", got, want)
	}
}

// TestPanicIsOne500 checks that a panicking handler answers 500 JSON, with
// the contract's headers, and the worker keeps serving.
func TestPanicIsOne500(t *testing.T) {
	s, ts := mustServer(t, memoryConfig(t))
	s.echo.GET("/boom", func(echo.Context) error { panic("boom") })
	c := newTestClient(t, ts.URL, true)
	got := c.get("/boom")
	if got.Status != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500: %s", got.Status, got.Body)
	}
	if msg := got.JSON(t)["error"]; msg != "internal error" {
		t.Errorf("error %v, want %q", msg, "internal error")
	}
	if got, want := got.Header.Get("X-Worker"), "0"; got != want {
		t.Errorf("X-Worker %q, want %q", got, want)
	}
	if got, want := c.get("/healthz").Status, http.StatusOK; got != want {
		t.Errorf("healthz after the panic: %d, want %d", got, want)
	}
	if got, want := metricValue(t, c, `target_requests_total{code="500",route="/boom"}`), 1.0; got != want {
		t.Errorf("500s counted %v, want %v", got, want)
	}
}

func TestUnknownPathIsJSON404(t *testing.T) {
	_, ts := mustServer(t, memoryConfig(t))
	c := newTestClient(t, ts.URL, true)
	got := c.get("/wp-admin/../etc")
	if got.Status != http.StatusNotFound {
		t.Fatalf("status %d, want 404", got.Status)
	}
	if msg := got.JSON(t)["error"]; msg != "no such endpoint" {
		t.Errorf("error %v, want %q", msg, "no such endpoint")
	}
	if got.Header.Get("X-Instance") == "" || got.Header.Get("X-Worker") == "" {
		t.Errorf("404 without X-Instance/X-Worker: %v", got.Header)
	}
	if got, want := metricValue(t, c, `target_requests_total{code="404",route="unmatched"}`), 1.0; got != want {
		t.Errorf("unmatched 404s = %v, want %v", got, want)
	}
}

// TestMetricsNamesOfTheContract checks every series name the harness relies on.
func TestMetricsNamesOfTheContract(t *testing.T) {
	cfg := memoryConfig(t)
	cfg.WorkerRestarts = 3
	_, ts := mustServer(t, cfg)
	c := newTestClient(t, ts.URL, true)
	c.login("u1")
	c.upload(mustCSV(t, 5, 1))
	body := string(c.get("/metrics").Body)
	for _, name := range []string{
		"target_requests_in_flight", "target_queue_depth", "target_busy_threads",
		"target_requests_total", "target_request_duration_seconds_bucket",
		"target_worker_restarts_total", "target_session_store_operations_total",
		"target_dataset_store_operations_total", "target_serialization_errors_total",
		"target_overload_rejections_total", "process_resident_memory_bytes", "go_goroutines",
	} {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("/metrics has no %s", name)
		}
	}
	if got, want := metricValue(t, c, "target_worker_restarts_total"), 3.0; got != want {
		t.Errorf("worker restarts %v, want %v", got, want)
	}
}
