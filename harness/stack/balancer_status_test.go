package stack

import (
	"maps"
	"strings"
	"testing"
)

func TestParseBalancerStatus(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    map[string]bool
		wantErr bool
	}{
		{"two backends", `{"backends":[{"url":"http://instance-1:8080","healthy":true,"draining":false},{"url":"http://instance-2:8080","healthy":false}]}`,
			map[string]bool{"http://instance-1:8080": true, "http://instance-2:8080": false}, false},
		{"no backends", `{"backends":[]}`, map[string]bool{}, false},
		{"not JSON", `no healthy backend`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseBalancerStatus(strings.NewReader(tc.body))
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if want := tc.want; !tc.wantErr && !maps.Equal(got, want) {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func FuzzParseBalancerStatus(f *testing.F) {
	f.Add(`{"backends":[{"url":"http://instance-1:8080","healthy":true}]}`)
	f.Add(`{"backends":null}`)
	f.Add(`{"backends":[{"url":1}]}`)
	f.Add(``)
	f.Fuzz(func(t *testing.T, body string) {
		got, err := parseBalancerStatus(strings.NewReader(body))
		if err == nil && got == nil {
			t.Fatal("no error and no map")
		}
	})
}
