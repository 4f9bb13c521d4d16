package target

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzSessionCookie sends arbitrary Cookie and X-Forwarded-Proto headers to
// a server holding one user's session and data set. Whatever the headers,
// the answer is a fresh session's (404, no data-set headers) unless they
// carry the owner's token itself, and never a 5xx or a panic.
func FuzzSessionCookie(f *testing.F) {
	cfg := memoryConfig(f)
	cfg.Logf = func(string, ...any) {}
	s, err := NewServer(f.Context(), cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	h := s.Handler()

	// The owner logs in and uploads; the fuzzer tries to reach that session.
	login := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader("user=owner"))
	login.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, login)
	owner := cookieOf(reply{Status: rec.Code, Header: rec.Header()})
	if owner == nil {
		f.Fatalf("login: %d, no session cookie", rec.Code)
	}
	body, ctype := multipartFile(f, "file", []byte("ward,tpr\nA,1\nB,2\n"))
	up := httptest.NewRequest(http.MethodPost, "/upload", strings.NewReader(string(body)))
	up.Header.Set("Content-Type", ctype)
	up.AddCookie(owner)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, up)
	if rec.Code != http.StatusCreated {
		f.Fatalf("upload: %d %s", rec.Code, rec.Body)
	}
	token := owner.Value
	flipped := []byte(token)
	flipped[3] ^= 0x20

	f.Add("session="+token[:len(token)-1], "https")
	f.Add("session="+string(flipped), "http")
	f.Add("session="+randomToken(f), "https, http")
	f.Add("session=; session="+token[1:], "")
	f.Add(`session="`+token[:10]+`"; other=1`, "HTTPS")
	f.Add("session=\x00\xff<script>", ",https")
	f.Add(strings.Repeat("session=a;", 50), "https,")
	f.Fuzz(func(t *testing.T, cookie, proto string) {
		req := httptest.NewRequest(http.MethodGet, "/dataset", nil)
		req.Header.Set("Cookie", cookie)
		req.Header.Set("X-Forwarded-Proto", proto)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if strings.Contains(cookie, token) {
			if rec.Code >= 500 {
				t.Fatalf("status %d with the owner's token in %q", rec.Code, cookie)
			}
			return
		}
		if rec.Code != http.StatusNotFound {
			t.Fatalf("Cookie %q: status %d, want 404 (a fresh session): %s", cookie, rec.Code, rec.Body)
		}
		if id := rec.Header().Get(headerDatasetID); id != "" {
			t.Fatalf("Cookie %q: the owner's data set %s leaked", cookie, id)
		}
	})
}
