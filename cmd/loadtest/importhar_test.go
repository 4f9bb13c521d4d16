package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"loadharness"
	"loadharness/examples/shop"
	"loadharness/scenarios/suite"
)

const shopHAR = "../../scenarios/har/testdata/shop.har"

// importHAR runs the import-har command in process.
func importHAR(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = cmdImportHAR(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestImportedSuiteValidates(t *testing.T) {
	file := filepath.Join(t.TempDir(), "shop.yaml")
	code, _, stderr := importHAR(t, shopHAR, "-o", file)
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	s, err := suite.Parse(file, data)
	if err != nil {
		t.Fatalf("the imported suite does not parse:\n%v\n%s", err, data)
	}
	if got, want := s.Name, "shop"; got != want {
		t.Errorf("name = %q, want %q (from the -o file)", got, want)
	}
	steps := s.Scenarios[0].Steps
	if got, want := len(steps), 5; got != want {
		t.Fatalf("%d steps, want %d", got, want)
	}
	login, orders := steps[1], steps[3]
	if len(login.Extract) != 1 || login.Extract[0].Name != "token" || len(orders.Extract) != 1 || orders.Extract[0].Name != "id" {
		t.Errorf("extractions: login %+v, orders %+v; want token and id", login.Extract, orders.Extract)
	}
	if got, want := steps[4].Path, "/api/orders/{{id}}"; got != want {
		t.Errorf("last path = %q, want %q", got, want)
	}
	if got, want := steps[2].Headers["Authorization"], "Bearer {{token}}"; got != want {
		t.Errorf("Authorization = %q, want %q", got, want)
	}
}

func TestImportHAR(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.yaml")
	if err := os.WriteFile(existing, []byte("keep me\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	broken := filepath.Join(dir, "broken.har")
	if err := os.WriteFile(broken, []byte("{\n  \"log\": {\n    \"entries\": [,]\n  }\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	braces := filepath.Join(dir, "braces.har")
	if err := os.WriteFile(braces, []byte(`{"log": {"entries": [{"request": {"method": "POST", "url": "http://a/t",
		"postData": {"mimeType": "text/plain", "text": "{{not ours}}"}}, "response": {"status": 200}}]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStdout string // held by stdout
		wantStderr string // held by stderr
		file       string // a file that must exist afterwards
		fileHolds  string
	}{
		{
			name: "to stdout", args: []string{shopHAR},
			wantStdout: "name: recorded\n", wantStderr: "warning: dropped 2 static assets",
		},
		{
			name: "refuses to overwrite", args: []string{shopHAR, "-o", existing}, wantCode: loadharness.ExitHarness,
			wantStderr: "existing.yaml exists; --force overwrites it", file: existing, fileHolds: "keep me",
		},
		{
			name: "overwrites with --force", args: []string{"--force", shopHAR, "-o", existing, "--name", "mine"},
			wantStderr: "wrote " + existing, file: existing, fileHolds: "name: mine\n",
		},
		{
			name: "hosts as a list and repeated, assets kept", args: []string{shopHAR, "--host", "127.0.0.1:8080,fonts.example.com", "--host=127.0.0.1", "--include-assets"},
			wantStdout: "path: /font.woff2\n",
		},
		{
			name: "a syntax error says where", args: []string{broken}, wantCode: loadharness.ExitHarness,
			wantStderr: "broken.har: line 3, column 17: invalid character ','",
		},
		{
			name: "written even when it does not validate", args: []string{braces, "-o", filepath.Join(dir, "braces.yaml")}, wantCode: loadharness.ExitHarness,
			wantStderr: "the suite does not validate", file: filepath.Join(dir, "braces.yaml"), fileHolds: "{{not ours}}",
		},
		{name: "no file", args: []string{"--include-assets"}, wantCode: loadharness.ExitHarness, wantStderr: "give one HAR file"},
		{name: "two files", args: []string{shopHAR, shopHAR}, wantCode: loadharness.ExitHarness, wantStderr: "give one HAR file"},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.har")}, wantCode: loadharness.ExitHarness, wantStderr: "no such file"},
		{name: "bad flag", args: []string{shopHAR, "--nope"}, wantCode: loadharness.ExitHarness, wantStderr: "flag provided but not defined"},
		{name: "after --", args: []string{"--", "--force"}, wantCode: loadharness.ExitHarness, wantStderr: "open --force"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := importHAR(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.wantCode, stderr)
			}
			if !strings.Contains(stdout, tt.wantStdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.wantStdout, stdout)
			}
			if !strings.Contains(stderr, tt.wantStderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.wantStderr, stderr)
			}
			if tt.file != "" {
				data, err := os.ReadFile(tt.file)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(string(data), tt.fileHolds) {
					t.Errorf("%s lacks %q:\n%s", tt.file, tt.fileHolds, data)
				}
			}
		})
	}
	// The temporary files are gone.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestImportedSuiteRuns imports the checked-in HAR and runs the suite it
// makes, through `loadtest run --provider external`, against examples/shop
// holding the recorded account (and a page at /, which the recording
// visited first): the recorded token and order id are carried through the
// run, so every request passes and the run passes.
func TestImportedSuiteRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("a run against a test server: skipped in -short mode")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "shop.yaml")
	if code, _, stderr := importHAR(t, shopHAR, "-o", file); code != 0 {
		t.Fatalf("import: exit %d\n%s", code, stderr)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// The recording's 30 s and 1.5 s think are a person's pace; a test
	// needs a few seconds of it.
	short := strings.NewReplacer("duration: 30s", "duration: 3s", "think: 1.5s", "think: 20ms").Replace(string(data))
	if err := os.WriteFile(file, []byte(short), 0o644); err != nil {
		t.Fatal(err)
	}
	api := shop.New([]shop.Account{{Email: "a@example.com", Password: "pw", Name: "A"}})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "<html>shop</html>") })
	mux.Handle("/api/", api)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	out := filepath.Join(dir, "out")
	code, _, stderr := loadtest(t, "run", file, "--provider", "external", "--target", srv.URL, "--out", out, "--quiet")
	if code != loadharness.ExitPass {
		t.Fatalf("the imported suite's run: exit %d\n%s", code, stderr)
	}
	st := api.Stats()
	if st.Logins == 0 || st.Lookups == 0 || st.BadTokens != 0 || st.LookupMisses != 0 {
		t.Errorf("shop saw %+v: want logins and order lookups, and no bad token or unknown order", st)
	}
	s := mustReadSummary(t, out)
	if got := stepOf(t, s, "recorded", "get-api-orders-id").Requests; got != int(st.Lookups) {
		t.Errorf("harness counts %d order lookups, the shop served %d", got, st.Lookups)
	}
}
