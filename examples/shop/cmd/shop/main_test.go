package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// accountsFile is the example's accounts, from this directory.
const accountsFile = "../../accounts.csv"

func TestRunRefuses(t *testing.T) {
	cases := []struct {
		name       string
		args       []string
		wantStderr []string
	}{
		{"every interface", []string{"--listen", ":8081"}, []string{"refusing a non-loopback address"}},
		{"wildcard address", []string{"--listen", "0.0.0.0:8081"}, []string{"refusing a non-loopback address"}},
		{"another machine", []string{"--listen", "192.0.2.10:8081"}, []string{"refusing a non-loopback address"}},
		{"a name", []string{"--listen", "shop.example:8081"}, []string{"refusing a non-loopback address"}},
		{"no port", []string{"--listen", "127.0.0.1"}, []string{`--listen "127.0.0.1"`}},
		{"negative latency", []string{"--latency", "-5ms"}, []string{"--latency must be"}},
		{"unknown flag", []string{"--colour", "red"}, []string{"colour"}},
		{"stray argument", []string{"serve"}, []string{"unexpected arguments"}},
		{"every problem at once", []string{"--listen", "0.0.0.0:1", "--latency", "2h", "--accounts", ""},
			[]string{"non-loopback", "--latency", "--accounts is empty"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if got := run(t.Context(), tc.args, &stderr); got != exitUsage {
				t.Errorf("exit %d, want %d; stderr:\n%s", got, exitUsage, stderr.String())
			}
			for _, want := range tc.wantStderr {
				if !strings.Contains(stderr.String(), want) {
					t.Errorf("stderr %q does not contain %q", stderr.String(), want)
				}
			}
		})
	}
}

func TestRunBadAccountsFile(t *testing.T) {
	var stderr bytes.Buffer
	if got := run(t.Context(), []string{"--listen", "127.0.0.1:0", "--accounts", "no-such.csv"}, &stderr); got != exitFailure {
		t.Errorf("exit %d, want %d; stderr:\n%s", got, exitFailure, stderr.String())
	}
}

// lockedBuffer is a bytes.Buffer the server goroutine and the test share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var servingOn = regexp.MustCompile(`serving 250 accounts on (http://\S+)`)

func TestRunServesUntilCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var stderr lockedBuffer
	exit := make(chan int, 1)
	go func() {
		exit <- run(ctx, []string{"--listen", "127.0.0.1:0", "--accounts", accountsFile, "--latency", "1ms"}, &stderr)
	}()

	var base string
	for deadline := time.Now().Add(10 * time.Second); base == ""; {
		if m := servingOn.FindStringSubmatch(stderr.String()); m != nil {
			base = m[1]
			break
		}
		select {
		case code := <-exit:
			t.Fatalf("exited %d before serving; stderr:\n%s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("not serving after 10s; stderr:\n%s", stderr.String())
		}
	}

	login := `{"email":"user001@shop.example","password":"pw-001-7f8a8715"}`
	resp, err := http.Post(base+"/api/login", "application/json", strings.NewReader(login))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}

	cancel()
	select {
	case code := <-exit:
		if code != exitOK {
			t.Errorf("exit %d, want %d; stderr:\n%s", code, exitOK, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("still running 15s after the cancel")
	}
	if want := `"logins":1`; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr %q does not report %s", stderr.String(), want)
	}
}
