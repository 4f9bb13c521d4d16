package harness

import (
	"context"
	"errors"
	"strings"
	"testing"

	"loadharness/harness/stack/external"
	"loadharness/scenarios/suite"
)

func TestCheckTarget(t *testing.T) {
	tests := []struct {
		name       string
		url        string
		explicit   bool
		wantErr    error
		wantNotice bool
	}{
		{"ipv4 loopback", "http://127.0.0.1:8080", false, nil, false},
		{"other 127/8", "http://127.3.2.1:80/x", false, nil, false},
		{"ipv6 loopback", "http://[::1]:9000", false, nil, false},
		{"localhost", "http://localhost:9000", false, nil, false},
		{"remote refused", "https://staging.example.com", false, ErrNotLoopback, false},
		{"remote ip refused", "http://10.0.0.5:8080", false, ErrNotLoopback, false},
		{"unspecified address refused", "http://0.0.0.0:8080", false, ErrNotLoopback, false},
		{"name that looks local refused", "http://127.0.0.1.nip.io", false, ErrNotLoopback, false},
		{"remote explicit allowed with notice", "https://staging.example.com", true, nil, true},
		{"loopback explicit no notice", "http://127.0.0.1:1", true, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			notice, err := CheckTarget(tt.url, tt.explicit)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "--target") {
				t.Errorf("error %q does not say how to aim elsewhere on purpose", err)
			}
			if got, want := notice != "", tt.wantNotice; got != want {
				t.Errorf("notice %q, want one: %v", notice, want)
			}
		})
	}
}

func TestCheckTargetBadURL(t *testing.T) {
	for _, u := range []string{"http://", "::not a url"} {
		if _, err := CheckTarget(u, true); err == nil {
			t.Errorf("CheckTarget(%q) accepted it", u)
		}
	}
}

func TestRunRefusesRemoteWithoutExplicitTarget(t *testing.T) {
	s, err := suite.Parse("s.yaml", []byte(`name: s
scenarios:
  - name: a
    users: 1
    duration: 1s
    steps:
      - {name: h, path: /healthz}
`))
	if err != nil {
		t.Fatal(err)
	}
	// 192.0.2.0/24 is TEST-NET-1: nothing is sent there, the check comes first.
	_, err = RunOn(context.Background(), external.Provider{URL: "http://192.0.2.1:8080"}, s, false)
	if !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("Run: %v, want ErrNotLoopback", err)
	}
}
