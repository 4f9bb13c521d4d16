package docker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"loadharness/harness/stack/haproxy"
)

// Inside the HAProxy container.
const (
	// haproxyAdminPort is HAProxy's runtime API; its host side is on
	// loopback like every published port, for the harness alone.
	haproxyAdminPort  = "9999/tcp"
	haproxyConfigPath = "/etc/haproxy/haproxy.cfg"
)

// startHAProxy runs a real HAProxy as the stack's balancer, in place of
// target lb and under the same alias, port and log name (lb): the load and
// the harness find it where they find target lb. Its configuration
// (package haproxy) is copied into the container and kept beside the
// logs; the backends are the instances' IP addresses on the network.
func (s *dockerStack) startHAProxy(ctx context.Context) error {
	backends := s.backends()
	var cfg bytes.Buffer
	err := haproxy.Config{
		Listen:   "0.0.0.0:" + strings.TrimSuffix(targetPort, "/tcp"),
		Admin:    "0.0.0.0:" + strings.TrimSuffix(haproxyAdminPort, "/tcp"),
		Backends: backends,
	}.Write(&cfg)
	if err != nil {
		return fmt.Errorf("start balancer: %w", err)
	}
	if s.cfg.Dir != "" {
		if err := os.WriteFile(filepath.Join(s.cfg.Dir, "haproxy.cfg"), cfg.Bytes(), 0o644); err != nil {
			return fmt.Errorf("start balancer: %w", err)
		}
	}
	opts := append(s.common("lb", "lb", targetPort, haproxyAdminPort),
		testcontainers.WithFiles(testcontainers.ContainerFile{
			Reader:            bytes.NewReader(cfg.Bytes()),
			ContainerFilePath: haproxyConfigPath,
			FileMode:          0o644,
		}),
		// In the foreground, logging to stderr: the container's log.
		testcontainers.WithCmd("-db", "-f", haproxyConfigPath),
		// HAProxy leaves SIGTERM to its default action, which the kernel
		// does not take for PID 1: every stop would wait out its grace and
		// end in SIGKILL. SIGUSR1 is its soft stop (no new connections,
		// exit once those open are done); the grace still bounds it.
		testcontainers.WithConfigModifier(func(c *container.Config) { c.StopSignal = "SIGUSR1" }),
		// A configuration HAProxy refuses ends the container, which ends
		// this wait at once.
		testcontainers.WithWaitStrategyAndDeadline(remaining(ctx),
			wait.ForHTTP(haproxy.HealthzPath).WithPort(targetPort).WithPollInterval(50*time.Millisecond)),
	)
	ctr, err := testcontainers.Run(ctx, s.haproxyImage, opts...)
	if ctr != nil {
		s.track("lb", ctr)
		s.lb = ctr
	}
	if err != nil {
		return fmt.Errorf("start balancer (%s): %w%s", s.haproxyImage, err, s.logHint(ctx, ctr, "lb"))
	}
	if s.lbURL, err = ctr.PortEndpoint(ctx, targetPort, "http"); err != nil {
		return fmt.Errorf("start balancer: %w", err)
	}
	admin, err := ctr.PortEndpoint(ctx, haproxyAdminPort, "")
	if err != nil {
		return fmt.Errorf("start balancer: runtime API: %w", err)
	}
	s.balancer = haproxy.Runtime{Addr: admin}
	s.cfg.logf("balancer: %s (haproxy, runtime API %s) → %s", s.lbURL, admin, strings.Join(backends, ", "))
	return nil
}
