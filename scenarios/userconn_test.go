package scenarios

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawServer answers HTTP/1.1 requests with whatever its script writes, so
// that tests can close connections and frame bodies as real servers do.
type rawServer struct {
	ln    net.Listener
	conns atomic.Int32
	wg    sync.WaitGroup
}

// startRawServer serves each connection with serve(conn, reader, n), n the
// 1-based connection number; the connection is closed when serve returns.
func startRawServer(t *testing.T, serve func(c net.Conn, br *bufio.Reader, n int)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n := int(s.conns.Add(1))
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer c.Close()
				serve(c, bufio.NewReader(c), n)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); s.wg.Wait() })
	return s
}

// readReq reads one request and its body, reporting false at the end of
// the connection.
func readReq(br *bufio.Reader) (*http.Request, bool) {
	req, err := http.ReadRequest(br)
	if err != nil {
		return nil, false
	}
	io.Copy(io.Discard, req.Body)
	return req, true
}

const okResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// trackedDial dials as the engine does, through a connection tracker.
func trackedDial(ctx context.Context, network, addr string) (net.Conn, error) {
	return newConnTracker(net.Dialer{}).dial(ctx, network, addr)
}

// send makes one request on c and reads its body.
func send(t *testing.T, c *userConn, method, url, body string, timeout time.Duration) (string, error) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.roundTrip(req, trackedDial, timeout)
	if err != nil {
		return "", err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return string(b), err
}

func TestUserConnKeepsAliveAndFrames(t *testing.T) {
	tests := []struct {
		name      string
		responses []string // one per request, on one connection when kept
		wantBody  []string
		wantConns int
	}{
		{"content-length, kept alive", []string{okResponse, okResponse, okResponse}, []string{"ok", "ok", "ok"}, 1},
		{"chunked, kept alive", []string{
			"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
			okResponse}, []string{"abcde", "ok"}, 1},
		{"early hints skipped", []string{"HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" + okResponse, okResponse}, []string{"ok", "ok"}, 1},
		{"connection close honoured", []string{
			"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye", okResponse}, []string{"bye", "ok"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var next atomic.Int32
			srv := startRawServer(t, func(c net.Conn, br *bufio.Reader, _ int) {
				for {
					if _, ok := readReq(br); !ok {
						return
					}
					resp := tt.responses[next.Add(1)-1]
					io.WriteString(c, resp)
					if strings.Contains(resp, "Connection: close") {
						return
					}
				}
			})
			var c userConn
			defer c.close()
			for i, want := range tt.wantBody {
				got, err := send(t, &c, "GET", "http://"+srv.ln.Addr().String()+"/", "", 5*time.Second)
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				if got != want {
					t.Errorf("request %d: body %q, want %q", i, got, want)
				}
			}
			if got, want := int(srv.conns.Load()), tt.wantConns; got != want {
				t.Errorf("%d connections, want %d", got, want)
			}
		})
	}
}

func TestUserConnAfterTheServerClosedIt(t *testing.T) {
	tests := []struct {
		name   string
		method string
		// idle makes the connection look idle long enough to be probed.
		idle    bool
		wantErr bool
	}{
		{"GET is sent again", "GET", false, false},
		{"POST is not sent twice blindly", "POST", false, true},
		{"POST after an idle spell finds the connection closed first", "POST", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each connection answers one request, then the server closes it
			// without saying so, as an idle timeout does.
			srv := startRawServer(t, func(c net.Conn, br *bufio.Reader, _ int) {
				if _, ok := readReq(br); ok {
					io.WriteString(c, okResponse)
				}
			})
			url := "http://" + srv.ln.Addr().String() + "/"
			var c userConn
			defer c.close()
			if _, err := send(t, &c, tt.method, url, "x=1", 5*time.Second); err != nil {
				t.Fatalf("first request: %v", err)
			}
			time.Sleep(50 * time.Millisecond) // the server's close arrives
			if tt.idle {
				c.lastUsed = time.Now().Add(-2 * idleCheckAfter)
			}
			_, err := send(t, &c, tt.method, url, "x=1", 5*time.Second)
			if got := err != nil; got != tt.wantErr {
				t.Errorf("second request: error %v, want error %v", err, tt.wantErr)
			}
		})
	}
}

func TestUserConnTimeout(t *testing.T) {
	srv := startRawServer(t, func(c net.Conn, br *bufio.Reader, _ int) {
		readReq(br)
		time.Sleep(2 * time.Second) // never answers in time
	})
	var c userConn
	defer c.close()
	start := time.Now()
	_, err := send(t, &c, "GET", "http://"+srv.ln.Addr().String()+"/", "", 200*time.Millisecond)
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a timeout", err)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("timed out after %s, want about 200ms", took)
	}
	if c.conn != nil {
		t.Error("the timed-out connection was kept")
	}
}
