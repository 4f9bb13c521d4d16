package scenarios

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"syscall"
	"time"
)

// userConn is a virtual user's own keep-alive connection. A user sends one
// request at a time, so a connection per user needs no pool, no lock and,
// unlike http.Transport, no reader and writer goroutines per connection: the
// request is written and its response read on the goroutine that sends it,
// where http.Transport hands each request and response between goroutines.
// Each handoff is a wake-up, and on a machine whose cores the generator
// shares with the target, CPU the generator spends is CPU the target lacks
// (`make bench` prints both per request). It also matches what a user is:
// one browser keeping its connection.
//
// Framing is the standard library's (Request.Write, http.ReadResponse), so
// chunked bodies, Connection: close and HEAD are handled as net/http does.
type userConn struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	// reused is set once the connection has carried a response: a failure
	// before the first byte of the next one is then most likely the server
	// closing an idle connection, and the request is sent again.
	reused bool
	// lastUsed is when the connection last carried a request.
	lastUsed time.Time
}

// idleCheckAfter is how long a connection may sit idle before it is probed
// for a close by the server (which an idle timeout does) before reuse: a
// request that is not safe to send twice must not go on a dead connection.
const idleCheckAfter = time.Second

// Buffer sizes of a user connection: requests are small; responses larger
// than the read buffer stream through it.
const (
	userConnReadBuffer  = 4 << 10
	userConnWriteBuffer = 4 << 10
)

// dialFunc opens a connection.
type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// roundTrip sends req on the connection, dialing it first when needed, and
// returns the response with its headers read; the body streams from the
// connection and must be read or closed before the next request. timeout
// bounds the whole exchange, body included.
func (c *userConn) roundTrip(req *http.Request, dial dialFunc, timeout time.Duration) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := c.try(req, dial, timeout)
		if err == nil {
			c.reused = true
			return resp, nil
		}
		reused := c.reused
		c.close()
		if attempt > 0 || !reused || !retryable(err) || !replayable(req) || !rewind(req) {
			return nil, err
		}
	}
}

// try is one attempt of roundTrip.
func (c *userConn) try(req *http.Request, dial dialFunc, timeout time.Duration) (*http.Response, error) {
	now := time.Now()
	if c.conn != nil && now.Sub(c.lastUsed) > idleCheckAfter && !c.alive() {
		c.close()
	}
	c.lastUsed = now
	if c.conn == nil {
		conn, err := dial(req.Context(), "tcp", hostPort(req))
		if err != nil {
			// Unwrapped: the text is a result's Error, and reads as
			// net/http's ("dial tcp ...: connection refused").
			return nil, err
		}
		c.conn = conn
		if c.br == nil {
			c.br = bufio.NewReaderSize(conn, userConnReadBuffer)
			c.bw = bufio.NewWriterSize(conn, userConnWriteBuffer)
		} else {
			c.br.Reset(conn)
			c.bw.Reset(conn)
		}
	}
	if err := c.conn.SetDeadline(now.Add(timeout)); err != nil {
		return nil, err
	}
	if err := req.Write(c.bw); err != nil {
		return nil, err
	}
	if err := c.bw.Flush(); err != nil {
		return nil, err
	}
	for {
		resp, err := http.ReadResponse(c.br, req)
		if err != nil {
			return nil, err
		}
		// 1xx answers (103 Early Hints) come before the real one.
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		resp.Body = &connBody{ReadCloser: resp.Body, c: c, close: resp.Close}
		return resp, nil
	}
}

// alive reports whether an idle connection is still open: the server has
// neither closed it nor sent anything unasked.
func (c *userConn) alive() bool {
	if c.br.Buffered() > 0 {
		return false // bytes nobody asked for: the stream is out of step
	}
	conn := c.conn
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		conn = nc.NetConn()
	}
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	return peekOpen(rc)
}

// close drops the connection; the next request dials a new one.
func (c *userConn) close() {
	if c.conn != nil {
		_ = c.conn.Close()
		c.conn = nil
	}
	c.reused = false
}

// retryable reports whether err means the server closed a kept-alive
// connection before answering, which net/http too answers by resending.
func retryable(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// replayable reports whether req may be sent twice: its method is
// idempotent, as net/http requires before it resends on its own.
func replayable(req *http.Request) bool {
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	default:
		return false
	}
}

// rewind makes req's body readable again for a second attempt.
func rewind(req *http.Request) bool {
	if req.Body == nil || req.Body == http.NoBody {
		return true
	}
	if req.GetBody == nil {
		return false
	}
	body, err := req.GetBody()
	if err != nil {
		return false
	}
	req.Body = body
	return true
}

// hostPort is the address to dial for req.
func hostPort(req *http.Request) string {
	if req.URL.Port() != "" {
		return req.URL.Host
	}
	return net.JoinHostPort(req.URL.Hostname(), "80")
}

// connBody is a response body on a user connection: closing it drains what
// is left, so the connection can carry the next request, or drops the
// connection when the server asked for that or the body could not be read.
type connBody struct {
	io.ReadCloser
	c      *userConn
	close  bool
	failed bool
}

// Read reads the body, noting a failure that leaves the connection unusable.
func (b *connBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && err != io.EOF {
		b.failed = true
	}
	return n, err
}

// Close drains the body (net/http's client body does) and keeps or drops
// the connection.
func (b *connBody) Close() error {
	err := b.ReadCloser.Close()
	if err != nil || b.close || b.failed {
		b.c.close()
	}
	return err
}
