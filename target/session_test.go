package target

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2/memstore"
)

// flakyStore is a memstore whose commits fail on demand.
type flakyStore struct {
	*memstore.MemStore
	failCommit bool
}

func (s *flakyStore) Commit(token string, b []byte, expiry time.Time) error {
	if s.failCommit {
		return errors.New("connection reset")
	}
	return s.MemStore.Commit(token, b, expiry)
}

// withFlakyStore swaps the server's session store for a flaky one.
func withFlakyStore(t *testing.T, s *Server) *flakyStore {
	t.Helper()
	fs := &flakyStore{MemStore: memstore.NewWithCleanupInterval(0)}
	s.sessions.manager.Store = &observedStore{inner: fs, timeout: time.Second, m: s.m}
	return fs
}

// TestCommitFailureIsOneClean503 checks the case scs's LoadAndSave gets
// wrong: the handler has chosen 200 when the commit fails.
func TestCommitFailureIsOneClean503(t *testing.T) {
	s, ts := mustServer(t, memoryConfig(t))
	fs := withFlakyStore(t, s)
	fs.failCommit = true
	c := newTestClient(t, ts.URL, true)
	got := c.login("u1")
	if got.Status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503: %s", got.Status, got.Body)
	}
	if got, want := strings.TrimSpace(string(got.Body)), `{"error":"session store unavailable"}`; got != want {
		t.Errorf("body %q, want %q", got, want)
	}
	if ck := got.Header.Get("Set-Cookie"); ck != "" {
		t.Errorf("Set-Cookie %q for a session that was never stored", ck)
	}
	if got, want := got.Header.Get("Content-Type"), "application/json"; got != want {
		t.Errorf("Content-Type %q, want %q", got, want)
	}

	fs.failCommit = false
	if got, want := c.login("u1").Status, http.StatusOK; got != want {
		t.Errorf("login once the store is back: %d, want %d", got, want)
	}
}

// TestCorruptSessionStartsOver stores garbage under a session's token.
func TestCorruptSessionStartsOver(t *testing.T) {
	s, ts := mustServer(t, memoryConfig(t))
	fs := withFlakyStore(t, s)
	c := newTestClient(t, ts.URL, true)
	c.login("u1")
	var token string
	for _, ck := range (&http.Response{Header: c.login("u1").Header}).Cookies() {
		token = ck.Value
	}
	if token == "" {
		t.Fatal("no session cookie")
	}
	if err := fs.MemStore.Commit(token, []byte("garbage"), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	got := c.get("/dataset")
	if got.Status != http.StatusNotFound {
		t.Fatalf("status %d, want 404 (a fresh session): %s", got.Status, got.Body)
	}
	if got := metricValue(t, c, "target_serialization_errors_total"); got != 1 {
		t.Errorf("serialization errors %v, want 1", got)
	}
}

func TestValidToken(t *testing.T) {
	cases := []struct {
		name  string
		token string
		want  bool
	}{
		{"scs token", "Xy3_-abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL", true},
		{"too short", "abc", false},
		{"padding", "Xy3_-abcdefghijklmnopqrstuvwxyzABCDEFGHIJK=", false},
		{"markup", "<script>abcdefghijklmnopqrstuvwxyzABCDEFGHI", false},
		{"empty", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := validToken(tc.token); got != tc.want {
				t.Errorf("validToken(%q) = %v, want %v", tc.token, got, tc.want)
			}
		})
	}
}

func TestValidDatasetID(t *testing.T) {
	fresh, err := newDatasetID()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		id   string
		want bool
	}{
		{"fresh id", fresh, true},
		{"path traversal", "../../../../etc/passwd0000000000", false},
		{"upper case hex", strings.ToUpper(fresh), false},
		{"short", fresh[:31], false},
		{"empty", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := validDatasetID(tc.id); got != tc.want {
				t.Errorf("validDatasetID(%q) = %v, want %v", tc.id, got, tc.want)
			}
		})
	}
}
