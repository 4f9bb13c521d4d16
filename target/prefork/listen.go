package prefork

import (
	"context"
	"fmt"
	"net"
)

// Listen listens on the TCP address addr ("host:port") with SO_REUSEADDR and
// SO_REUSEPORT set, so that every worker can bind the same port and the
// kernel spreads new connections over them. Port 0 picks a free port, which
// is only useful when the port is not shared.
func Listen(ctx context.Context, addr string) (net.Listener, error) {
	lc := net.ListenConfig{Control: reusePort}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("prefork listen: %w", err)
	}
	return ln, nil
}
