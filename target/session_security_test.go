package target

import (
	"bytes"
	"crypto/tls"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// sessionShapes are the two session stores, each with its data sets kept
// apart from the session so a lost session and a lost data set differ.
func sessionShapes(t *testing.T) []struct {
	name string
	cfg  func(t *testing.T) Config
} {
	r := mustStartRedis(t)
	return []struct {
		name string
		cfg  func(t *testing.T) Config
	}{
		{"redis", func(t *testing.T) Config { return redisConfig(t, r) }},
		{"memory", func(t *testing.T) Config {
			cfg := memoryConfig(t)
			cfg.DatasetStore = DatasetStoreFile
			return cfg
		}},
	}
}

// assertFreshSession checks that a request bringing token got an empty
// session: nobody's data set, nobody's name.
func assertFreshSession(t *testing.T, base, token string) {
	t.Helper()
	got := withToken(t, http.MethodGet, base+"/dataset", token)
	if got.Status != http.StatusNotFound {
		t.Errorf("dataset with token %.12s…: status %d, want 404 (a fresh session): %s", token, got.Status, got.Body)
	}
	if id := got.Header.Get(headerDatasetID); id != "" {
		t.Errorf("dataset with token %.12s…: X-Dataset-Id %q leaked", token, id)
	}
}

// loginAs logs in with the session cookie token (none when empty) and
// returns the reply.
func loginAs(t *testing.T, base, token, user string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader("user="+user))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
	}
	c := &testClient{tb: t, hc: &http.Client{Timeout: 20 * time.Second}}
	return c.do(req)
}

func TestCookieAttributes(t *testing.T) {
	cases := []struct {
		name       string
		tls        bool
		proto      string
		wantSecure bool
	}{
		{"plain http", false, "", false},
		{"TLS", true, "", true},
		{"behind a TLS balancer", false, "https", true},
		{"behind a TLS balancer, upper case", false, "HTTPS", true},
		{"behind two balancers, the client's first", false, "https, http", true},
		{"behind a plain balancer", false, "http", false},
		{"https not first", false, "http, https", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := NewServer(t.Context(), memoryConfig(t))
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewUnstartedServer(s.Handler())
			if tc.tls {
				ts.StartTLS()
			} else {
				ts.Start()
			}
			defer ts.Close()
			hc := ts.Client()
			hc.Transport.(*http.Transport).TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // the test's own certificate
			c := &testClient{tb: t, base: ts.URL, hc: hc}

			send := func(path string, token string) reply {
				req, err := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader("user=u1"))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				if tc.proto != "" {
					req.Header.Set("X-Forwarded-Proto", tc.proto)
				}
				if token != "" {
					req.AddCookie(&http.Cookie{Name: sessionCookie, Value: token})
				}
				return c.do(req)
			}
			login := send("/login", "")
			logout := send("/logout", mustToken(t, login))
			for _, r := range []struct {
				name string
				r    reply
			}{{"login", login}, {"logout", logout}} {
				ck := cookieOf(r.r)
				if ck == nil {
					t.Fatalf("%s: no session cookie in %v", r.name, r.r.Header)
				}
				if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
					t.Errorf("%s: cookie %v, want HttpOnly, SameSite=Lax, Path=/", r.name, ck)
				}
				if got, want := ck.Secure, tc.wantSecure; got != want {
					t.Errorf("%s: Secure %v, want %v", r.name, got, want)
				}
			}
			if ck := cookieOf(logout); ck.Value != "" || ck.MaxAge >= 0 {
				t.Errorf("logout cookie %v: want an empty, expired cookie", ck)
			}
		})
	}
}

// TestLoginRenewsToken checks the defence against session fixation: each
// login issues a new token, keeps the user's own session, and the token it
// replaced opens nothing any more.
func TestLoginRenewsToken(t *testing.T) {
	for _, shape := range sessionShapes(t) {
		t.Run(shape.name, func(t *testing.T) {
			_, ts := mustServer(t, shape.cfg(t))
			c := newTestClient(t, ts.URL, true)
			first := c.login("u1")
			if got, want := first.JSON(t)["renewed"], false; got != want {
				t.Errorf("first login: renewed %v, want %v", got, want)
			}
			old := mustToken(t, first)
			up := c.upload(mustCSV(t, 10, 1))
			if up.Status != http.StatusCreated {
				t.Fatalf("upload: %d %s", up.Status, up.Body)
			}
			again := c.login("u1")
			if got, want := again.JSON(t)["renewed"], true; got != want {
				t.Errorf("second login: renewed %v, want %v", got, want)
			}
			renewed := mustToken(t, again)
			if renewed == old {
				t.Fatal("login kept the token: it must issue a new one")
			}
			got := withToken(t, http.MethodGet, ts.URL+"/dataset", renewed)
			if got.Status != http.StatusOK || got.JSON(t)["id"] != up.JSON(t)["id"] {
				t.Errorf("the renewed session lost its data set: %d %s", got.Status, got.Body)
			}
			assertFreshSession(t, ts.URL, old)
		})
	}
}

// TestLogoutEndsSession checks that a token replayed after logout opens a
// fresh session, and that the data set went with the session.
func TestLogoutEndsSession(t *testing.T) {
	for _, shape := range sessionShapes(t) {
		t.Run(shape.name, func(t *testing.T) {
			s, ts := mustServer(t, shape.cfg(t))
			c := newTestClient(t, ts.URL, true)
			token := mustToken(t, c.login("u1"))
			up := c.upload(mustCSV(t, 10, 2))
			id, _ := up.JSON(t)["id"].(string)
			if up.Status != http.StatusCreated || id == "" {
				t.Fatalf("upload: %d %s", up.Status, up.Body)
			}
			out := withToken(t, http.MethodPost, ts.URL+"/logout", token)
			if out.Status != http.StatusOK {
				t.Fatalf("logout: %d %s", out.Status, out.Body)
			}
			body := out.JSON(t)
			if body["user"] != "u1" || body["logged_out"] != true {
				t.Errorf("logout: %v, want user u1 logged out", body)
			}
			assertFreshSession(t, ts.URL, token)
			if _, err := s.datasets.Get(t.Context(), id); !errors.Is(err, errDatasetMissing) {
				t.Errorf("data set after logout: %v, want it deleted", err)
			}
			// Replaying the logout itself ends nothing.
			again := withToken(t, http.MethodPost, ts.URL+"/logout", token)
			if got, want := again.JSON(t)["logged_out"], false; got != want {
				t.Errorf("second logout: logged_out %v, want %v", got, want)
			}
		})
	}
}

// TestExpiredTokenGetsFreshSession lets sessions expire by idleness and by
// their absolute lifetime, and replays their tokens.
func TestExpiredTokenGetsFreshSession(t *testing.T) {
	t.Parallel() // waits on the clock
	const short = 600 * time.Millisecond
	for _, shape := range sessionShapes(t) {
		t.Run(shape.name+", idle", func(t *testing.T) {
			t.Parallel() // each mostly sleeps
			cfg := shape.cfg(t)
			cfg.IdleTimeout = short
			_, ts := mustServer(t, cfg)
			c := newTestClient(t, ts.URL, true)
			token := mustToken(t, c.login("u1"))
			if got := c.upload(mustCSV(t, 10, 3)); got.Status != http.StatusCreated {
				t.Fatalf("upload: %d %s", got.Status, got.Body)
			}
			time.Sleep(2 * short)
			assertFreshSession(t, ts.URL, token)
		})
		t.Run(shape.name+", lifetime", func(t *testing.T) {
			t.Parallel()
			cfg := shape.cfg(t)
			cfg.Lifetime = 3 * short
			_, ts := mustServer(t, cfg)
			c := newTestClient(t, ts.URL, true)
			login := time.Now()
			token := mustToken(t, c.login("u1"))
			if got := c.upload(mustCSV(t, 10, 4)); got.Status != http.StatusCreated {
				t.Fatalf("upload: %d %s", got.Status, got.Body)
			}
			// Busy all along, so only the lifetime can end it; never before.
			var ended time.Duration
			for time.Since(login) < 10*cfg.Lifetime {
				got := withToken(t, http.MethodGet, ts.URL+"/dataset", token)
				if got.Status == http.StatusNotFound {
					ended = time.Since(login)
					break
				}
				if got.Status != http.StatusOK {
					t.Fatalf("dataset: %d %s", got.Status, got.Body)
				}
				time.Sleep(short / 6)
			}
			if ended == 0 {
				t.Fatalf("the session outlived %v with a lifetime of %v", 10*cfg.Lifetime, cfg.Lifetime)
			}
			if ended < cfg.Lifetime {
				t.Errorf("the session ended %v after login, before its lifetime %v", ended, cfg.Lifetime)
			}
			assertFreshSession(t, ts.URL, token)
		})
	}
}

// TestFixedTokenDoesNotFollowTheVictim plants an attacker's token in a
// victim's browser: the victim's login moves to a new token, the planted
// one dies, and the victim never sees the attacker's data set.
func TestFixedTokenDoesNotFollowTheVictim(t *testing.T) {
	r := mustStartRedis(t)
	_, ts := mustServer(t, redisConfig(t, r))
	attacker := newTestClient(t, ts.URL, true)
	planted := mustToken(t, attacker.login("attacker"))
	if got := attacker.upload(mustCSV(t, 10, 5)); got.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", got.Status, got.Body)
	}
	victim := loginAs(t, ts.URL, planted, "victim")
	if victim.Status != http.StatusOK {
		t.Fatalf("victim login: %d %s", victim.Status, victim.Body)
	}
	own := mustToken(t, victim)
	if own == planted {
		t.Fatal("the victim kept the planted token")
	}
	assertFreshSession(t, ts.URL, planted)
	got := withToken(t, http.MethodGet, ts.URL+"/dataset", own)
	if got.Status != http.StatusNotFound {
		t.Errorf("victim's /dataset: %d, want 404: the attacker's data set followed the victim: %s", got.Status, got.Body)
	}
}

func TestLoginBodies(t *testing.T) {
	multipartLogin := func() ([]byte, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		_ = mw.WriteField("user", "u1")
		_ = mw.Close()
		return buf.Bytes(), mw.FormDataContentType()
	}
	cases := []struct {
		name string
		body func() ([]byte, string)
		want int
	}{
		{"url-encoded", func() ([]byte, string) { return []byte("user=u1"), "application/x-www-form-urlencoded" }, http.StatusOK},
		{"multipart", multipartLogin, http.StatusOK},
		{"no user", func() ([]byte, string) { return []byte("name=u1"), "application/x-www-form-urlencoded" }, http.StatusBadRequest},
		{"name over 128 bytes", func() ([]byte, string) {
			return []byte("user=" + strings.Repeat("u", 129)), "application/x-www-form-urlencoded"
		}, http.StatusBadRequest},
		{"form over 16 KiB", func() ([]byte, string) {
			return []byte("user=u1&pad=" + strings.Repeat("p", maxLoginBody)), "application/x-www-form-urlencoded"
		}, http.StatusRequestEntityTooLarge},
	}
	_, ts := mustServer(t, memoryConfig(t))
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, ctype := tc.body()
			req, err := http.NewRequest(http.MethodPost, ts.URL+"/login", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", ctype)
			got := newTestClient(t, ts.URL, true).do(req)
			if got.Status != tc.want {
				t.Fatalf("status %d, want %d: %s", got.Status, tc.want, got.Body)
			}
			if got.Status != http.StatusOK {
				if msg, _ := got.JSON(t)["error"].(string); msg == "" {
					t.Errorf("no error message in %s", got.Body)
				}
			}
		})
	}
}

func TestForwardedHTTPS(t *testing.T) {
	cases := []struct {
		name string
		v    string
		want bool
	}{
		{"empty", "", false},
		{"https", "https", true},
		{"mixed case with spaces", "  HttpS ", true},
		{"list, https first", "https,http", true},
		{"list, http first", "http,https", false},
		{"prefix only", "httpsx", false},
		{"empty first element", ",https", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := forwardedHTTPS(tc.v); got != tc.want {
				t.Errorf("forwardedHTTPS(%q) = %v, want %v", tc.v, got, tc.want)
			}
		})
	}
}
