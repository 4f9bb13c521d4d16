package target

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestServeShutsDownGracefully cancels Serve's context while an upload is
// half sent: the upload must still succeed, and Serve return nil.
func TestServeShutsDownGracefully(t *testing.T) {
	cfg := memoryConfig(t)
	cfg.Logf = t.Logf
	s, err := NewServer(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	pr, pw := io.Pipe()
	body, ctype := multipartFile(t, "file", mustCSV(t, 10, 8))
	status := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, base+"/upload", pr)
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		resp.Body.Close()
		status <- resp.StatusCode
	}()
	if _, err := pw.Write(body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, base, false)
	waitFor(t, 5*time.Second, "the upload to be in flight", func() bool {
		return metricValue(t, c, "target_busy_threads") == 1
	})

	cancel()
	time.Sleep(50 * time.Millisecond) // let Shutdown close the listener
	if _, err := pw.Write(body[len(body)/2:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if got, want := <-status, http.StatusCreated; got != want {
		t.Errorf("in-flight upload: status %d, want %d", got, want)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v, want nil after a clean shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("still accepting connections after shutdown")
	}
}
