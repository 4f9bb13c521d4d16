package docker

import (
	"context"
	"fmt"
	"net"
	"strings"

	"loadharness"
)

// balancerAddress is the URL the balancer should know in by now: its
// network alias for target lb, which resolves it on every connection; its
// IP address on the stack's network for HAProxy, whose runtime API takes
// an address, not a name.
func (s *dockerStack) balancerAddress(ctx context.Context, in *dockerInstance) (string, error) {
	port := strings.TrimSuffix(targetPort, "/tcp")
	if s.shape.BalancerName() != loadharness.BalancerHAProxy {
		return "http://" + net.JoinHostPort(in.name, port), nil
	}
	ip, err := s.networkIP(ctx, in)
	if err != nil {
		return "", err
	}
	return "http://" + net.JoinHostPort(ip, port), nil
}

// networkIP reads the instance's address on the stack's network from the
// engine: it is known only once the container has started, and may differ
// after each start.
func (s *dockerStack) networkIP(ctx context.Context, in *dockerInstance) (string, error) {
	info, err := in.ctr.Inspect(ctx)
	if err != nil {
		return "", fmt.Errorf("%s address: %w", in.name, err)
	}
	if info.NetworkSettings == nil || info.NetworkSettings.Networks[s.network.Name] == nil {
		return "", fmt.Errorf("%s address: not attached to network %s", in.name, s.network.Name)
	}
	ip := info.NetworkSettings.Networks[s.network.Name].IPAddress
	if !ip.IsValid() {
		return "", fmt.Errorf("%s address: no IP address on network %s (is it running?)", in.name, s.network.Name)
	}
	return ip.String(), nil
}

// register makes the balancer hold in at the address it has now, after a
// start: nothing when that is the address it holds already (always, behind
// target lb); else the old address is removed and the new one added.
//
// The engine gives a stopped container's address to the next container
// that starts: an instance added after a kill takes the dead one's
// address, and the dead one gets another when it is restarted. So the new
// address is first taken from whatever instance the balancer still holds
// there, lest HAProxy refuse it as already held, or keep a backend that
// nothing stands for once the taker moves on.
func (s *dockerStack) register(ctx context.Context, in *dockerInstance) error {
	addr, err := s.balancerAddress(ctx, in)
	if err != nil {
		return fmt.Errorf("register %s with the balancer: %w", in.name, err)
	}
	return s.holdAt(ctx, in, addr)
}

// holdAt is register once the address is known.
func (s *dockerStack) holdAt(ctx context.Context, in *dockerInstance, addr string) error {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	old := in.backendURL()
	if addr == old {
		return nil
	}
	for _, other := range s.liveInstances() {
		if other != in && other.backendURL() == addr {
			s.cfg.logf("%s takes %s's address %s", in.name, other.name, addr)
			other.setBackend("")
		}
	}
	if err := s.forget(ctx, addr); err != nil {
		return fmt.Errorf("register %s with the balancer: %w", in.name, err)
	}
	if old != "" {
		if err := s.forget(ctx, old); err != nil {
			return fmt.Errorf("register %s with the balancer: %w", in.name, err)
		}
		in.setBackend("")
		s.cfg.logf("%s moved from %s to %s", in.name, old, addr)
	}
	if err := s.balancer.Add(ctx, addr); err != nil {
		return fmt.Errorf("register %s with the balancer: %w", in.name, err)
	}
	in.setBackend(addr)
	return nil
}

// forget removes backend from the balancer if it holds it: a removal that
// raced with this one has already done the work.
func (s *dockerStack) forget(ctx context.Context, backend string) error {
	held, err := s.balancer.Health(ctx)
	if err != nil {
		return err
	}
	if _, ok := held[backend]; !ok {
		return nil
	}
	return s.balancer.Remove(ctx, backend)
}
