package scenarios

import (
	"context"
	"errors"
	"net"
	"sync"
)

// errInterrupted is the dial error once a run was interrupted.
var errInterrupted = errors.New("run interrupted")

// connTracker dials the attack's connections and can close them all at
// once: Vegeta's requests carry no context, so closing their connections is
// how an interrupted run stops waiting for requests already in flight.
type connTracker struct {
	dialer net.Dialer
	mu     sync.Mutex
	conns  map[*trackedConn]struct{}
	closed bool
}

// newConnTracker returns a tracker whose dialer uses d's settings.
func newConnTracker(d net.Dialer) *connTracker {
	return &connTracker{dialer: d, conns: map[*trackedConn]struct{}{}}
}

// dial opens a tracked connection.
func (t *connTracker) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := t.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, t: t}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		c.Close()
		return nil, errInterrupted
	}
	t.conns[tc] = struct{}{}
	return tc, nil
}

// closeAll closes every open connection and refuses new ones.
func (t *connTracker) closeAll() {
	t.mu.Lock()
	conns := t.conns
	t.conns = map[*trackedConn]struct{}{}
	t.closed = true
	t.mu.Unlock()
	for c := range conns {
		c.Conn.Close()
	}
}

// trackedConn leaves its tracker when closed.
type trackedConn struct {
	net.Conn
	t    *connTracker
	once sync.Once
}

// Close closes the connection and forgets it.
func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.t.mu.Lock()
		delete(c.t.conns, c)
		c.t.mu.Unlock()
	})
	return c.Conn.Close()
}

// NetConn returns the connection the tracker dialed, so that a user's
// connection can look at its socket.
func (c *trackedConn) NetConn() net.Conn { return c.Conn }
