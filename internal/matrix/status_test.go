package matrix_test

import (
	"bytes"
	"context"
	"loadharness/harness/stack"
	"loadharness/harness/stack/external"
	"loadharness/internal/matrix"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"loadharness"
)

// TestMatrixStatuses checks the matrix's bookkeeping on a test server:
// a match is OK, a wrong verdict or a missing gate a MISMATCH, a known gap
// KNOWN GAP, and a gap that closed asks for its note to go.
func TestMatrixStatuses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/broken" {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	dir := t.TempDir()
	suite := func(name, path string) string {
		file := filepath.Join(dir, name+".yaml")
		text := "name: " + name + "\ngates: [error_rate < 1%, p95 < 2s]\nscenarios:\n" +
			"  - {name: s, users: 2, duration: 300ms, steps: [{name: get, path: " + path + "}]}\n"
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return file
	}
	good, bad := suite("good", "/ok"), suite("bad", "/broken")
	pass, fail := loadharness.VerdictPass, loadharness.VerdictFail
	tests := []struct {
		c    matrix.Case
		want string
	}{
		{matrix.Case{Name: "healthy", Suite: good, Want: pass, Runs: 2}, matrix.OK},
		{matrix.Case{Name: "errors", Suite: bad, Want: fail, Gate: loadharness.MustParseGate("error_rate<1%")}, matrix.OK},
		{matrix.Case{Name: "wrong gate", Suite: bad, Want: fail, Gate: loadharness.MustParseGate("p95 < 2s")}, matrix.Mismatch},
		{matrix.Case{Name: "never fails", Suite: good, Want: fail, Gate: loadharness.MustParseGate("error_rate < 1%")}, matrix.Mismatch},
		{matrix.Case{Name: "gap", Suite: good, Want: fail, Pending: "not yet"}, matrix.KnownGap},
		{matrix.Case{Name: "gap closed", Suite: bad, Want: fail, Pending: "fixed since"}, matrix.Fixed},
	}
	var cases []matrix.Case
	for _, tt := range tests {
		cases = append(cases, tt.c)
	}
	rows, err := matrix.Run(context.Background(), cases, matrix.Config{
		Provider: func(string) stack.Provider { return external.Provider{URL: srv.URL} },
		OutDir:   t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		if got := rows[i].Status; got != tt.want {
			t.Errorf("%s: status %q, want %q (row %+v)", tt.c.Name, got, tt.want, rows[i])
		}
	}
	if got, want := rows[0].Actual, "pass ×2"; got != want {
		t.Errorf("healthy actual = %q, want %q", got, want)
	}
	var b bytes.Buffer
	if err := matrix.WriteTable(&b, rows); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"CASE", "errors", "fail: error_rate < 1%", "KNOWN GAP: gap: not yet", "6 case(s), 3 mismatch(es)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, b.String())
		}
	}
}
