package balancer_test

import (
	"strings"
	"testing"

	"loadharness/target/balancer"
)

func TestParseBackendURL(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr string
	}{
		{name: "http", in: "http://127.0.0.1:8081", want: "http://127.0.0.1:8081"},
		{name: "trailing slash", in: "http://127.0.0.1:8081/", want: "http://127.0.0.1:8081"},
		{name: "bare host and port", in: "127.0.0.1:8081", want: "http://127.0.0.1:8081"},
		{name: "https with prefix", in: "https://App.Example:443/api/", want: "https://app.example:443/api"},
		{name: "spaces", in: "  http://h:1 ", want: "http://h:1"},
		{name: "ftp", in: "ftp://h:1", wantErr: "scheme"},
		{name: "empty", in: "", wantErr: "no host"},
		{name: "query", in: "http://h:1/?a=b", wantErr: "only scheme, host and path"},
		{name: "user info", in: "http://u:p@h:1", wantErr: "only scheme, host and path"},
		{name: "port only", in: "http://:8081", wantErr: "no host"},
		{name: "bad escape", in: "http://h:1/%zz", wantErr: "parse"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := balancer.ParseBackendURL(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseBackendURL(%q) = %v, %v; want an error about %q", tt.in, u, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseBackendURL(%q): %v", tt.in, err)
			}
			if got, want := u.String(), tt.want; got != want {
				t.Errorf("ParseBackendURL(%q) = %q, want %q", tt.in, got, want)
			}
		})
	}
}

// FuzzParseBackendURL checks that parsing never panics and that what it
// accepts is proxyable and canonical: parsing its own output gives it back.
func FuzzParseBackendURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8081", "127.0.0.1:1/", "https://a/b/", "ftp://x", "http://[::1]:80", "http://u@h", "%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := balancer.ParseBackendURL(s)
		if err != nil {
			return
		}
		if u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" || u.User != nil || u.RawQuery != "" {
			t.Fatalf("ParseBackendURL(%q) accepted %q", s, u)
		}
		again, err := balancer.ParseBackendURL(u.String())
		if err != nil {
			t.Fatalf("ParseBackendURL(%q) gave %q, which does not parse again: %v", s, u, err)
		}
		if got, want := again.String(), u.String(); got != want {
			t.Fatalf("not canonical: %q parsed to %q, then to %q", s, want, got)
		}
	})
}
