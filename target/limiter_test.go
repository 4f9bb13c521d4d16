package target

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// gauge counts like a Prometheus gauge, for the limiter's unit tests.
type gauge struct{ n atomic.Int64 }

func (g *gauge) Inc() { g.n.Add(1) }
func (g *gauge) Dec() { g.n.Add(-1) }

func TestLimiter(t *testing.T) {
	cases := []struct {
		name     string
		threads  int
		queue    int
		timeout  time.Duration
		holders  int // acquisitions held while the probe tries
		wantErr  error
		minWait  time.Duration
		maxWait  time.Duration
		wantBusy int64
	}{
		{"free thread", 2, 0, time.Second, 1, nil, 0, 100 * time.Millisecond, 2},
		{"no thread, no queue: refused at once", 1, 0, time.Second, 1, errOverloaded, 0, 100 * time.Millisecond, 1},
		{"no thread, queue times out", 1, 1, 80 * time.Millisecond, 1, errOverloaded, 70 * time.Millisecond, time.Second, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var busy, queued gauge
			l := newLimiter(tc.threads, tc.queue, tc.timeout, &busy, &queued)
			for range tc.holders {
				if err := l.acquire(context.Background()); err != nil {
					t.Fatalf("holder: %v", err)
				}
			}
			start := time.Now()
			err := l.acquire(context.Background())
			waited := time.Since(start)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("acquire: %v, want %v", err, tc.wantErr)
			}
			if waited < tc.minWait || waited > tc.maxWait {
				t.Errorf("waited %v, want %v..%v", waited, tc.minWait, tc.maxWait)
			}
			if got, want := busy.n.Load(), tc.wantBusy; got != want {
				t.Errorf("busy %d, want %d", got, want)
			}
			if got, want := queued.n.Load(), int64(0); got != want {
				t.Errorf("queued %d after the wait, want %d", got, want)
			}
		})
	}
}

// TestLimiterQueueHandsOver checks that a queued request gets the thread a
// finishing one releases.
func TestLimiterQueueHandsOver(t *testing.T) {
	var busy, queued gauge
	l := newLimiter(1, 1, 5*time.Second, &busy, &queued)
	if err := l.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	go func() { got <- l.acquire(context.Background()) }()
	for queued.n.Load() != 1 {
		time.Sleep(time.Millisecond)
	}
	l.release()
	select {
	case err := <-got:
		if err != nil {
			t.Fatalf("queued acquire: %v", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("queued request never got the released thread")
	}
	l.release()
	if got, want := busy.n.Load(), int64(0); got != want {
		t.Errorf("busy %d, want %d", got, want)
	}
}

// TestOverloadOverHTTP holds the only thread with an upload that never
// finishes sending, then checks that the next request is refused with 503.
func TestOverloadOverHTTP(t *testing.T) {
	cfg := memoryConfig(t)
	cfg.Threads = 1
	cfg.Queue = 0
	_, ts := mustServer(t, cfg)

	pr, pw := io.Pipe()
	body, ctype := multipartFile(t, "file", mustCSV(t, 10, 8))
	slow := make(chan error, 1)
	go func() {
		req, err := http.NewRequest(http.MethodPost, ts.URL+"/upload", pr)
		if err != nil {
			slow <- err
			return
		}
		req.Header.Set("Content-Type", ctype)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		slow <- err
	}()
	// Send half the form so the handler is parsing, holding the thread.
	if _, err := pw.Write(body[:len(body)/2]); err != nil {
		t.Fatal(err)
	}
	c := newTestClient(t, ts.URL, true)
	deadline := time.Now().Add(5 * time.Second)
	for metricValue(t, c, "target_busy_threads") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the slow upload never took the thread")
		}
		time.Sleep(5 * time.Millisecond)
	}

	got := c.get("/dataset")
	if got.Status != http.StatusServiceUnavailable {
		t.Fatalf("second request: status %d, want 503: %s", got.Status, got.Body)
	}
	if msg := got.JSON(t)["error"]; msg != errOverloadedMsg {
		t.Errorf("error %v, want %q", msg, errOverloadedMsg)
	}
	if got, want := got.Header.Get("X-Worker"), "0"; got != want {
		t.Errorf("X-Worker %q on a 503, want %q", got, want)
	}
	if got, want := metricValue(t, c, "target_overload_rejections_total"), 1.0; got != want {
		t.Errorf("overload rejections %v, want %v", got, want)
	}
	// Probes bypass the limiter even now.
	if got, want := c.get("/healthz").Status, http.StatusOK; got != want {
		t.Errorf("healthz while overloaded: %d, want %d", got, want)
	}

	if _, err := pw.Write(body[len(body)/2:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if err := <-slow; err != nil {
		t.Fatalf("slow upload: %v", err)
	}
	if got, want := metricValue(t, c, "target_busy_threads"), 0.0; got != want {
		t.Errorf("busy threads after the upload: %v, want %v", got, want)
	}
}
