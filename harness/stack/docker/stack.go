package docker

import (
	"context"
	"errors"
	"fmt"
	"loadharness/harness/stack"
	"path/filepath"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
	"github.com/testcontainers/testcontainers-go"

	"loadharness"
)

// dockerStack is a stack of containers on one private network.
type dockerStack struct {
	cfg                                                    *Provider
	shape                                                  loadharness.StackShape
	cli                                                    *testcontainers.DockerClient
	runID                                                  string
	redisImage, targetImage, prometheusImage, haproxyImage string
	network                                                *testcontainers.DockerNetwork
	redis                                                  testcontainers.Container
	redisVersion                                           string
	// lb is the balancer's container, target lb or HAProxy; lbURL is
	// where it takes the load on the host.
	lb    testcontainers.Container
	lbURL string
	// balancer drives lb: target lb's /lb/backends or HAProxy's runtime
	// API. Every change of the backends goes through it.
	balancer stack.Balancer
	// addrMu serializes changes of an instance's address in the balancer
	// (register), so that two of them never claim one address.
	addrMu sync.Mutex
	// prometheus is the stack's own Prometheus, and promURL its API on
	// the host; nil and "" unless the shape asks for one.
	prometheus testcontainers.Container
	promURL    string

	mu         sync.Mutex
	instances  []*dockerInstance // index i-1 is instance i; nil once removed
	containers []namedContainer  // everything created, for Close
	closed     bool
}

// namedContainer is a container of the stack and its network alias, which
// also names its log file.
type namedContainer struct {
	name string
	ctr  testcontainers.Container
}

// dockerInstance is one `target serve` container.
type dockerInstance struct {
	name string
	ctr  testcontainers.Container

	mu  sync.Mutex
	url string // its mapped URL on the host; changes on every restart
	// backend is its URL inside the network as the balancer holds it, ""
	// when the balancer holds none: target lb knows it by its alias,
	// HAProxy by its IP address, which may change when it starts again.
	backend string
}

func (in *dockerInstance) backendURL() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.backend
}

func (in *dockerInstance) setBackend(b string) {
	in.mu.Lock()
	in.backend = b
	in.mu.Unlock()
}

func (in *dockerInstance) hostURL() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.url
}

// refreshURL reads the host port again: the engine maps a new one each time
// the container starts.
func (in *dockerInstance) refreshURL(ctx context.Context) error {
	u, err := in.ctr.PortEndpoint(ctx, targetPort, "http")
	if err != nil {
		return fmt.Errorf("%s port: %w", in.name, err)
	}
	in.mu.Lock()
	in.url = u
	in.mu.Unlock()
	return nil
}

func (s *dockerStack) URL() string { return s.lbURL }

func (s *dockerStack) Info() stack.Info {
	return stack.Info{Provider: "docker", Shape: s.shape, RedisKind: s.redisKind()}
}

func (s *dockerStack) redisKind() string {
	return strings.TrimSpace("redis-server "+s.redisVersion) + " (container " + s.redisImage + ")"
}

func (s *dockerStack) MetricsURLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var urls []string
	for _, in := range s.instances {
		if in != nil {
			urls = append(urls, in.hostURL()+"/metrics")
		}
	}
	return urls
}

func (s *dockerStack) instance(i int) (*dockerInstance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < 1 || i > len(s.instances) || s.instances[i-1] == nil {
		return nil, fmt.Errorf("no instance %d (the stack has %d)", i, len(s.instances))
	}
	return s.instances[i-1], nil
}

// Act carries out a timed action on the container stack.
func (s *dockerStack) Act(ctx context.Context, kind loadharness.ActionKind, i int) (loadharness.Event, error) {
	return stack.Act(ctx, s, kind, i)
}

var _ stack.Parts = (*dockerStack)(nil)

func (s *dockerStack) Kill(ctx context.Context, i int) (string, error) {
	in, err := s.instance(i)
	if err != nil {
		return "", err
	}
	return in.name, s.kill(ctx, in.ctr)
}

func (s *dockerStack) Restart(ctx context.Context, i int) (string, error) {
	in, err := s.instance(i)
	if err != nil {
		return "", err
	}
	return in.name, s.restartInstance(ctx, in)
}

func (s *dockerStack) Add(ctx context.Context) (string, error) {
	// Reserve the slot, so that two additions at once get two numbers.
	s.mu.Lock()
	s.instances = append(s.instances, nil)
	next := len(s.instances)
	s.mu.Unlock()
	in, err := s.startInstance(ctx, next)
	if err != nil {
		return "", err
	}
	if err := s.setTargets(ctx, in.name, false); err != nil {
		return in.name, err
	}
	if err := s.register(ctx, in); err != nil {
		return in.name, err
	}
	// Done means taking load: wait for the balancer's first health check
	// of the new backend (every 250 ms).
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return in.name, stack.WaitBalancerHealthy(waitCtx, s.balancer, in.backendURL())
}

// Remove drains instance i out of the balancer, stops it and, with a
// Prometheus, stops its scrapes: a removed instance is gone, where a
// killed one stays a target whose workers are down (up == 0), as a dead
// machine does until someone removes it.
func (s *dockerStack) Remove(ctx context.Context, i int) (string, error) {
	in, err := s.instance(i)
	if err != nil {
		return "", err
	}
	// A killed instance whose address a newer one took is no longer
	// held: there is nothing to drain.
	if b := in.backendURL(); b != "" {
		if err := s.balancer.Remove(ctx, b); err != nil {
			return in.name, err
		}
	}
	err = errors.Join(stopWithin(ctx, in.ctr, 10*time.Second), s.setTargets(ctx, in.name, true))
	s.mu.Lock()
	s.instances[i-1] = nil
	s.mu.Unlock()
	return in.name, err
}

func (s *dockerStack) RestartRedis(ctx context.Context) error { return s.restartRedis(ctx) }

// kill sends SIGKILL, the instant death of a machine (a stop, even with no
// grace, would send SIGTERM first), and waits until the engine sees it dead.
func (s *dockerStack) kill(ctx context.Context, ctr testcontainers.Container) error {
	id := ctr.GetContainerID()
	if _, err := s.cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: "SIGKILL"}); err != nil {
		if isNotRunning(err) {
			return nil
		}
		return fmt.Errorf("kill container %.12s: %w", id, err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		st, err := ctr.State(waitCtx)
		if err != nil {
			return fmt.Errorf("kill container %.12s: %w", id, err)
		}
		if !st.Running {
			return nil
		}
		select {
		case <-waitCtx.Done():
			return fmt.Errorf("kill container %.12s: still running: %w", id, waitCtx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// isNotRunning says whether the engine refused a kill because the container
// is already stopped: a second kill is not a failure.
func isNotRunning(err error) bool {
	return cerrdefs.IsConflict(err) && strings.Contains(err.Error(), "is not running")
}

// restartInstance stops the instance gracefully and starts the same
// container again: same name, same alias, so target lb finds it where it
// was. Its IP address may change (the engine gives a stopped container's
// address to the next container that starts), and so does the host port:
// HAProxy is told the new address.
func (s *dockerStack) restartInstance(ctx context.Context, in *dockerInstance) error {
	if err := stopWithin(ctx, in.ctr, 10*time.Second); err != nil {
		return err
	}
	// Start runs the container's wait (/readyz) again before it returns.
	if err := in.ctr.Start(ctx); err != nil {
		return fmt.Errorf("start %s again: %w", in.name, err)
	}
	if err := in.refreshURL(ctx); err != nil {
		return err
	}
	if err := s.waitWorkers(ctx, in); err != nil {
		return fmt.Errorf("start %s again: %w", in.name, err)
	}
	return s.register(ctx, in)
}

func (s *dockerStack) restartRedis(ctx context.Context) error {
	if err := stopWithin(ctx, s.redis, 5*time.Second); err != nil {
		return fmt.Errorf("restart redis: %w", err)
	}
	if err := s.redis.Start(ctx); err != nil {
		return fmt.Errorf("restart redis: %w", err)
	}
	addr, err := s.redisHostAddr(ctx)
	if err != nil {
		return fmt.Errorf("restart redis: %w", err)
	}
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := waitPing(waitCtx, addr); err != nil {
		return fmt.Errorf("restart redis: %w", err)
	}
	return nil
}

// stopWithin asks the container to stop (SIGTERM) and lets the engine kill
// it after grace.
func stopWithin(ctx context.Context, ctr testcontainers.Container, grace time.Duration) error {
	if err := ctr.Stop(ctx, &grace); err != nil {
		return fmt.Errorf("stop container %.12s: %w", ctr.GetContainerID(), err)
	}
	return nil
}

// dockerCloseTimeout bounds Close.
const dockerCloseTimeout = 2 * time.Minute

var _ stack.ForceCloser = (*dockerStack)(nil)

// ForceClose force-removes every container and network labelled with this run,
// at once and whatever Close is doing: containers must not outlive a
// harness that the user stops twice.
func (s *dockerStack) ForceClose(ctx context.Context) error {
	if s.cli == nil {
		return nil
	}
	if err := sweepLabel(ctx, s.cli, RunLabel+"="+s.runID); err != nil {
		return fmt.Errorf("kill docker stack %s: %w", s.runID, err)
	}
	return nil
}

// Close saves the containers' logs (when Dir is set), removes the balancer,
// the instances and Redis, then the network, and last sweeps anything else
// labelled with this run; every step runs even when an earlier one fails.
// It runs to the end even when ctx is already cancelled (an interrupted run
// must still clean up), bounded by dockerCloseTimeout.
func (s *dockerStack) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), dockerCloseTimeout)
	defer cancel()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	containers := append([]namedContainer(nil), s.containers...)
	s.mu.Unlock()

	var errs []error
	if s.cfg.Dir != "" {
		for _, c := range containers {
			path := filepath.Join(s.cfg.Dir, c.name+".log")
			if err := saveLog(ctx, c.ctr, path); err != nil {
				s.cfg.logf("save log %s: %v", path, err)
			}
		}
	}
	// In reverse order of creation: the balancer goes first, so no request
	// reaches an instance that is going away; Redis goes last.
	var wg sync.WaitGroup
	termErrs := make([]error, len(containers))
	for i := len(containers) - 1; i >= 0; i-- {
		c := containers[i].ctr
		if c == s.lb {
			termErrs[i] = c.Terminate(ctx, testcontainers.StopTimeout(5*time.Second))
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			termErrs[i] = c.Terminate(ctx, testcontainers.StopTimeout(5*time.Second))
		}()
	}
	wg.Wait()
	errs = append(errs, termErrs...)
	if s.network != nil {
		if err := s.network.Remove(ctx); err != nil {
			errs = append(errs, fmt.Errorf("remove network %s: %w", s.network.Name, err))
		}
	}
	if s.cli != nil {
		errs = append(errs, sweepLabel(ctx, s.cli, RunLabel+"="+s.runID))
		errs = append(errs, s.cli.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close docker stack %s: %w", s.runID, err)
	}
	return nil
}
