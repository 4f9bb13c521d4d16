package target

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// trickle writes head at once, then body one byte per interval until body
// is sent, stop is closed or a write fails: a slow (or slowloris) client.
func trickle(conn net.Conn, head string, body []byte, interval time.Duration, stop <-chan struct{}) {
	if _, err := io.WriteString(conn, head); err != nil {
		return
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for _, b := range body {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if _, err := conn.Write([]byte{b}); err != nil {
			return
		}
	}
}

// TestSlowBodyIsCutOff sends a request body at one byte a second over a raw
// connection: the server must answer 408 at the request deadline and free
// the thread, not wait for the body (or for the connection's ReadTimeout).
func TestSlowBodyIsCutOff(t *testing.T) {
	t.Parallel() // waits on the clock: overlap it with the other waiting tests
	cases := []struct {
		name        string
		path, ctype string
		body        []byte
	}{
		{"upload", "/upload", "", nil},
		{"login", "/login", "application/x-www-form-urlencoded", []byte("user=" + strings.Repeat("u", 100))},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // each mostly waits
			cfg := memoryConfig(t)
			cfg.RequestTimeout = time.Second
			_, addr := mustServe(t, cfg)
			body, ctype := tc.body, tc.ctype
			if body == nil {
				body, ctype = multipartFile(t, "file", mustCSV(t, 20, 1))
			}
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: target\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
				tc.path, ctype, len(body))
			stop := make(chan struct{})
			defer close(stop)
			start := time.Now()
			go trickle(conn, head, body, time.Second, stop)

			// The bound is generous for a loaded machine; without the read
			// deadline the body would take minutes and this read time out.
			limit := cfg.RequestTimeout + 5*time.Second
			if err := conn.SetReadDeadline(time.Now().Add(limit)); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("no answer within %v: %v", limit, err)
			}
			defer resp.Body.Close()
			t.Logf("answered %d after %v", resp.StatusCode, time.Since(start).Round(time.Millisecond))
			if got, want := resp.StatusCode, http.StatusRequestTimeout; got != want {
				t.Errorf("status %d, want %d", got, want)
			}
			b, _ := io.ReadAll(resp.Body)
			if !strings.Contains(string(b), errBodyTooSlow) {
				t.Errorf("body %q, want it to say %q", b, errBodyTooSlow)
			}
			if got, want := resp.Header.Get("X-Instance"), DefaultInstance; got != want {
				t.Errorf("X-Instance %q, want %q", got, want)
			}
			c := newTestClient(t, "http://"+addr, false)
			waitFor(t, 5*time.Second, "the slow request's thread to be freed", func() bool {
				return metricValue(t, c, "target_busy_threads") == 0
			})
		})
	}
}

// TestSlowHeadersAreCutOff is slowloris: headers at one byte a second. The
// server must close the connection once the header timeout (the request
// timeout) has passed.
func TestSlowHeadersAreCutOff(t *testing.T) {
	t.Parallel()
	cfg := memoryConfig(t)
	cfg.RequestTimeout = time.Second
	_, addr := mustServe(t, cfg)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	stop := make(chan struct{})
	defer close(stop)
	go trickle(conn, "GET /healthz HTTP/1.1\r\n", []byte(strings.Repeat("X-Slow: a\r\n", 100)), time.Second, stop)
	limit := cfg.RequestTimeout + 5*time.Second
	if err := conn.SetReadDeadline(time.Now().Add(limit)); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	n, err := io.Copy(io.Discard, conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after %v", limit)
	}
	t.Logf("closed after %v (%d bytes answered)", time.Since(start).Round(time.Millisecond), n)
}

// rawRoundTrip writes req on a fresh connection to addr and reads the
// answer's status; the write runs aside, since the server may answer and
// close before the whole request is sent.
func rawRoundTrip(t *testing.T, addr string, req []byte) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() { _, _ = conn.Write(req) }()
	if err := conn.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestHeaderLimits(t *testing.T) {
	t.Parallel()
	_, addr := mustServe(t, memoryConfig(t))
	cases := []struct {
		name    string
		headers string
		want    int
	}{
		{"a 16 KiB cookie", "Cookie: session=" + strings.Repeat("a", 16<<10) + "\r\n", http.StatusOK},
		{"one header over the limit", "X-Big: " + strings.Repeat("a", 2*MaxHeaderBytes) + "\r\n", http.StatusRequestHeaderFieldsTooLarge},
		{"ten thousand small headers", strings.Repeat("X-A: b\r\n", 10_000), http.StatusRequestHeaderFieldsTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := "GET /dataset HTTP/1.1\r\nHost: target\r\nConnection: close\r\n" + tc.headers + "\r\n"
			// /dataset answers 404 (a fresh session) when the headers pass.
			want := tc.want
			if want == http.StatusOK {
				want = http.StatusNotFound
			}
			if got := rawRoundTrip(t, addr, []byte(req)); got != want {
				t.Errorf("status %d, want %d", got, want)
			}
		})
	}
}

// manyParts is a form of n small text parts followed by the file field.
func manyParts(tb testing.TB, n int, csv []byte) ([]byte, string) {
	tb.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := range n {
		if err := mw.WriteField(fmt.Sprintf("f%d", i), "x"); err != nil {
			tb.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("file", "wards.csv")
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := fw.Write(csv); err != nil {
		tb.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

// TestManyFormPartsAreRefused sends ten thousand parts before the file: the
// upload is refused after maxFormParts of them, without the server holding
// the form in memory. It must not run in parallel: the allocation it
// measures is the whole process's.
func TestManyFormPartsAreRefused(t *testing.T) {
	csv := mustCSV(t, 20, 1)
	cases := []struct {
		name  string
		parts int
		want  int
	}{
		{"a few parts before the file", 3, http.StatusCreated},
		{"just under the limit", maxFormParts - 1, http.StatusCreated},
		{"ten thousand parts", 10_000, http.StatusRequestEntityTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, ts := mustServer(t, memoryConfig(t))
			body, ctype := manyParts(t, tc.parts, csv)
			req, err := http.NewRequest(http.MethodPost, ts.URL+"/upload", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", ctype)
			c := newTestClient(t, ts.URL, true)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			got := c.do(req)
			runtime.ReadMemStats(&after)
			if got.Status != tc.want {
				t.Fatalf("status %d, want %d: %s", got.Status, tc.want, got.Body)
			}
			if tc.want != http.StatusCreated {
				if msg, _ := got.JSON(t)["error"].(string); !strings.Contains(msg, "form parts") {
					t.Errorf("error %q, want it to name the form parts", msg)
				}
				// The server streams the form: sending and refusing it
				// allocates less than the form itself.
				alloc := after.TotalAlloc - before.TotalAlloc
				t.Logf("%d parts: %d bytes allocated for a %d-byte form", tc.parts, alloc, len(body))
				if alloc > uint64(len(body)) {
					t.Errorf("the request allocated %d bytes for a %d-byte form", alloc, len(body))
				}
			}
		})
	}
}
