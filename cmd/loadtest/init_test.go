package main

import (
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"loadharness"
	"loadharness/scenarios/suite"
)

// TestInitWritesAStarterThatValidates: `loadtest init FILE` writes a suite
// that validates as written, refuses to overwrite it, and its commented
// example of every feature validates once uncommented, with the files and
// the variable it names in place.
func TestInitWritesAStarterThatValidates(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "my.yaml")
	code, stdout, stderr := loadtest(t, "init", "--target", "http://127.0.0.1:8081", file)
	if code != loadharness.ExitPass {
		t.Fatalf("init: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "loadtest validate "+file) {
		t.Errorf("init does not say what to do next: %q", stdout)
	}
	if code, _, stderr := loadtest(t, "validate", file); code != loadharness.ExitPass {
		t.Errorf("the starter does not validate: %s", stderr)
	}
	if code, _, stderr := loadtest(t, "init", file); code != loadharness.ExitHarness || !strings.Contains(stderr, "--force") {
		t.Errorf("init over an existing file: exit %d, %q; want a refusal that names --force", code, stderr)
	}

	text, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	uncommented := strings.ReplaceAll(string(text), "#| ", "")
	if strings.Count(string(text), "#| ") < 20 {
		t.Fatalf("the starter has %d commented lines of features, want the whole example", strings.Count(string(text), "#| "))
	}
	srv := httptest.NewTLSServer(http.NotFoundHandler())
	defer srv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	for name, data := range map[string]string{
		"accounts.csv":   "email,password\na@x.example,pw-a\nb@x.example,pw-b\n" + strings.Repeat("c@x.example,pw-c\n", 30),
		"staging-ca.pem": string(ca),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("API_KEY", "starter-test-key")
	s, err := suite.Parse(filepath.Join(dir, "full.yaml"), []byte(uncommented))
	if err != nil {
		t.Fatalf("the starter's features, uncommented, do not validate:\n%v", err)
	}
	if len(s.Scenarios) != 3 || s.TLS.CAPEM == nil || len(s.Secrets) != 1 {
		t.Errorf("uncommented starter: %d scenarios, CA %v, %d secrets; want 3, a CA and API_KEY", len(s.Scenarios), s.TLS.CAPEM != nil, len(s.Secrets))
	}
}
