package docker

import (
	"context"
	"errors"
	"fmt"
	"loadharness/harness/stack"
	"loadharness/harness/stack/haproxy"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	mobynetwork "github.com/moby/moby/api/types/network"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/modules/redis"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"

	"loadharness"
)

// Images of a container stack. The local tags are what images/build.sh
// builds (`make images`); nothing here needs a registry once they exist.
const (
	// DefaultRedisImage is the Redis image used when Provider.RedisImage is
	// empty: the official one, which needs a registry the first time.
	DefaultRedisImage = "redis:7-alpine"
	// LocalRedisImage is the host's own redis-server packed by images/build.sh.
	LocalRedisImage = "loadharness/redis:dev"
	// DefaultTargetImage is cmd/target in an empty image, built by
	// images/build.sh; it serves both the instance and the balancer role.
	DefaultTargetImage = "loadharness/target:dev"
	// DefaultHAProxyImage is the host's Debian haproxy packed by
	// images/build.sh, the balancer of a stack with balancer: haproxy.
	DefaultHAProxyImage = "loadharness/haproxy:dev"
)

// RunLabel is the label every container and network of a container stack
// carries, its value the stack's run id; Sweep removes whatever
// carries it after a crash.
const RunLabel = "loadharness.run"

// DefaultDockerStartTimeout bounds how long a container stack may take to
// become ready: creating containers costs more than forking processes.
const DefaultDockerStartTimeout = 2 * time.Minute

// Ports inside the containers; the host side is mapped on 127.0.0.1 only.
const (
	targetPort = "8080/tcp"
	redisPort  = "6379/tcp"
)

// Provider is the provider that runs the stack as containers on a private
// network: Redis (alias redis), N `target serve` containers (aliases
// instance-1..N) and `target lb` in front, the balancer alone being what the
// load uses (published on 127.0.0.1). With StackShape.Balancer haproxy, a
// real HAProxy (HAProxyImage) takes target lb's place: it knows the
// instances by their IP addresses on the network, and the harness drives
// it through its runtime API, published on 127.0.0.1. With
// StackShape.Prometheus, a Prometheus (alias prometheus, its API published
// on 127.0.0.1) scrapes every worker's own metrics port in the network, and
// the stack is then a stack.Prometheuser.
//
// No reaper container is run (its image cannot be pulled without a
// registry): Start sets TESTCONTAINERS_RYUK_DISABLED=true when it is unset,
// and the stack cleans up after itself in Close, on a failed Start, and
// through Sweep after a crash.
type Provider struct {
	// RedisImage is the Redis image; "" means DefaultRedisImage.
	RedisImage string
	// TargetImage is the image of cmd/target; "" means DefaultTargetImage.
	TargetImage string
	// PrometheusImage is the image of the stack's own Prometheus, run when
	// the shape asks for one; "" means DefaultPrometheusImage.
	PrometheusImage string
	// HAProxyImage is the balancer's image when the shape asks for
	// balancer: haproxy; "" means DefaultHAProxyImage.
	HAProxyImage string
	// Dir receives each container's log at Close (name.log); "" keeps none.
	Dir string
	// RunID is the value of RunLabel on everything started; "" draws a
	// random one per Start.
	RunID string
	// Track records the run label before the first container is created,
	// for crash recovery; nil records nothing.
	Track stack.Tracker
	// StartTimeout bounds the start; 0 means DefaultDockerStartTimeout.
	StartTimeout time.Duration
	// Logf reports progress; nil is silent.
	Logf func(format string, args ...any)
}

var _ stack.Provider = (*Provider)(nil)

// Start brings the stack up and waits until the balancer routes to it. On
// any failure it removes every container and the network it created.
func (d *Provider) Start(ctx context.Context, shape loadharness.StackShape) (_ stack.Stack, err error) {
	if errs := shape.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("stack shape: %w", errors.Join(errs...))
	}
	prepareTestcontainers()
	timeout := d.StartTimeout
	if timeout == 0 {
		timeout = DefaultDockerStartTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	cli, err := dockerClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("docker stack: %w", err)
	}
	runID := d.RunID
	if runID == "" {
		runID = newRunID()
	}
	if d.Track != nil {
		if err := d.Track.DockerRun(runID); err != nil {
			return nil, fmt.Errorf("docker stack: %w", err)
		}
	}
	s := &dockerStack{
		cfg:             d,
		shape:           shape,
		cli:             cli,
		runID:           runID,
		redisImage:      orDefault(d.RedisImage, DefaultRedisImage),
		targetImage:     orDefault(d.TargetImage, DefaultTargetImage),
		prometheusImage: orDefault(d.PrometheusImage, DefaultPrometheusImage),
		haproxyImage:    orDefault(d.HAProxyImage, DefaultHAProxyImage),
	}
	defer func() {
		if err != nil {
			if closeErr := s.Close(ctx); closeErr != nil {
				err = errors.Join(err, fmt.Errorf("clean up: %w", closeErr))
			}
		}
	}()
	images := []string{s.redisImage, s.targetImage}
	if shape.Prometheus {
		images = append(images, s.prometheusImage)
	}
	if shape.BalancerName() == loadharness.BalancerHAProxy {
		images = append(images, s.haproxyImage)
	}
	for _, img := range images {
		if !imagePresent(ctx, cli, img) {
			d.logf("image %s is not present: the engine will try to pull it (build the local ones with `make images`)", img)
		}
	}
	s.network, err = network.New(ctx, network.WithLabels(s.labels("network")))
	if err != nil {
		return nil, fmt.Errorf("docker stack: network: %w", err)
	}
	d.logf("run %s: network %s", runID, s.network.Name)
	// Redis and the instances start together: creating a container is most
	// of the cost, and an instance only turns ready (/readyz) once Redis
	// answers, so none serves before its store is there. When Redis fails,
	// the instances would wait for it until the deadline: stop them at
	// once, and report only the cause.
	startCtx, stopStarting := context.WithCancel(ctx)
	redisErr := make(chan error, 1)
	go func() {
		err := s.startRedis(startCtx)
		if err != nil {
			stopStarting()
		}
		redisErr <- err
	}()
	instErr := s.startInstances(startCtx, shape.Instances)
	rErr := <-redisErr
	stopStarting()
	if rErr != nil {
		return nil, rErr
	}
	if instErr != nil {
		return nil, instErr
	}
	// The Prometheus starts beside the balancer: both only need the
	// instances.
	promErr := make(chan error, 1)
	if shape.Prometheus {
		go func() { promErr <- s.startPrometheus(ctx) }()
	} else {
		promErr <- nil
	}
	lbErr := s.startBalancer(ctx)
	if err := errors.Join(lbErr, <-promErr); err != nil {
		return nil, err
	}
	// Load must not start before the balancer's own health checks have seen
	// every instance, or the first second would go to a subset.
	if err := stack.WaitBalancerHealthy(ctx, s.balancer, s.backends()...); err != nil {
		return nil, fmt.Errorf("start balancer: %w%s", err, s.logHint(ctx, s.lb, "lb"))
	}
	if !shape.Prometheus {
		return s, nil
	}
	// Nor before the Prometheus has seen every worker, or a gate over the
	// first seconds would miss some.
	if err := s.waitScrapes(ctx); err != nil {
		return nil, err
	}
	return &prometheusStack{s}, nil
}

func (d *Provider) logf(format string, args ...any) {
	if d.Logf != nil {
		d.Logf(format, args...)
	}
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// labels are those of every object of the stack; role says which part.
func (s *dockerStack) labels(role string) map[string]string {
	return map[string]string{RunLabel: s.runID, "loadharness.role": role}
}

// common are the options of every container of the stack: its labels, its
// network alias, a readable name, quiet testcontainers logs and host ports
// bound to loopback only.
func (s *dockerStack) common(role, alias string, ports ...string) []testcontainers.ContainerCustomizer {
	return []testcontainers.ContainerCustomizer{
		testcontainers.WithLogger(tcLogger{}),
		testcontainers.WithLabels(s.labels(role)),
		testcontainers.WithName("lh-" + s.runID + "-" + alias),
		network.WithNetwork([]string{alias}, s.network),
		testcontainers.WithExposedPorts(ports...),
		testcontainers.WithHostConfigModifier(loopbackPorts(ports...)),
	}
}

// loopbackPorts publishes ports on 127.0.0.1 (a free host port each) rather
// than on every interface of the machine.
func loopbackPorts(ports ...string) func(*container.HostConfig) {
	return func(hc *container.HostConfig) {
		if hc.PortBindings == nil {
			hc.PortBindings = mobynetwork.PortMap{}
		}
		for _, p := range ports {
			port, err := mobynetwork.ParsePort(p)
			if err != nil {
				continue // testcontainers reports a bad port spec itself
			}
			hc.PortBindings[port] = []mobynetwork.PortBinding{{HostIP: netip.MustParseAddr("127.0.0.1")}}
		}
	}
}

// track remembers a container for Close; it runs before the error check of
// the call that made it, as a container that failed to become ready exists.
func (s *dockerStack) track(name string, c testcontainers.Container) {
	if c == nil {
		return
	}
	s.mu.Lock()
	s.containers = append(s.containers, namedContainer{name: name, ctr: c})
	s.mu.Unlock()
}

func (s *dockerStack) startRedis(ctx context.Context) error {
	args := []string{"--protected-mode", "no", "--save", ""}
	if s.shape.RedisPersistence == "aof" {
		args = append(args, "--appendonly", "yes", "--appendfsync", "everysec")
	} else {
		args = append(args, "--appendonly", "no")
	}
	opts := append(s.common("redis", "redis", redisPort),
		testcontainers.WithCmd(args...),
		// The module's own wait runs /bin/sh in the container for its port
		// check; the local image has no shell. The log line plus a PING from
		// the host say the same.
		testcontainers.WithWaitStrategyAndDeadline(remaining(ctx),
			wait.ForLog("Ready to accept connections"),
			wait.ForListeningPort(redisPort).SkipInternalCheck()),
	)
	ctr, err := redis.Run(ctx, s.redisImage, opts...)
	if ctr != nil {
		s.track("redis", ctr)
		s.redis = ctr
	}
	if err != nil {
		return fmt.Errorf("start redis (%s): %w%s", s.redisImage, err, s.logHint(ctx, ctr, "redis"))
	}
	addr, err := s.redisHostAddr(ctx)
	if err != nil {
		return fmt.Errorf("start redis: %w", err)
	}
	if err := waitPing(ctx, addr); err != nil {
		return fmt.Errorf("start redis: %w", err)
	}
	s.redisVersion = stack.RedisVersion(addr)
	s.cfg.logf("redis: %s at %s (in the network: redis:6379)", s.redisKind(), addr)
	return nil
}

// redisHostAddr is where the harness reaches Redis from the host; it
// changes when the container restarts.
func (s *dockerStack) redisHostAddr(ctx context.Context) (string, error) {
	ep, err := s.redis.PortEndpoint(ctx, redisPort, "")
	if err != nil {
		return "", fmt.Errorf("redis port: %w", err)
	}
	return ep, nil
}

// waitPing sends PING until Redis answers: after a restart the log line the
// container's wait looks for is already in its log, so it proves nothing.
func waitPing(ctx context.Context, addr string) error {
	for {
		err := stack.PingRedis(addr)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("redis at %s did not answer PING: %w (last: %v)", addr, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// startInstances starts instances 1..n at once: container creation is
// mostly waiting on the engine, so doing it in parallel shortens the start.
func (s *dockerStack) startInstances(ctx context.Context, n int) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := 1; i <= n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in, err := s.startInstance(ctx, i)
			if err == nil {
				// The balancer starts with them in its configuration.
				var addr string
				if addr, err = s.balancerAddress(ctx, in); err == nil {
					in.setBackend(addr)
				}
			}
			errs[i-1] = err
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// instanceEnv configures `target serve` through its TARGET_* variables, the
// way a container platform would.
func (s *dockerStack) instanceEnv(name string) map[string]string {
	env := map[string]string{
		"TARGET_LISTEN":        "0.0.0.0:8080",
		"TARGET_REDIS_ADDR":    "redis:6379",
		"TARGET_SESSION_STORE": s.shape.SessionStore,
		"TARGET_DATASET_STORE": s.shape.DatasetStore,
		"TARGET_WORKERS":       strconv.Itoa(s.shape.Workers),
		"TARGET_THREADS":       strconv.Itoa(s.shape.Threads),
		"TARGET_INSTANCE":      name,
		"TARGET_DATA_DIR":      "/data",
	}
	if s.shape.Queue > 0 {
		env["TARGET_QUEUE"] = strconv.Itoa(s.shape.Queue)
	}
	if s.shape.MapCost > 0 {
		env["TARGET_MAP_COST"] = strconv.Itoa(s.shape.MapCost)
	}
	if s.shape.RequestTimeout > 0 {
		env["TARGET_REQUEST_TIMEOUT"] = s.shape.RequestTimeout.String()
	}
	if s.shape.Prometheus {
		// Each worker serves its metrics on a port of its own, so that
		// Prometheus scrapes every worker, not whichever the kernel picks.
		env["TARGET_METRICS_LISTEN"] = "0.0.0.0:" + strconv.Itoa(workerMetricsPort)
	}
	return env
}

// startInstance starts instance number i (1-based) and waits for its
// /readyz through the mapped port (an HTTP wait: the image has no shell for
// an in-container port check).
func (s *dockerStack) startInstance(ctx context.Context, i int) (*dockerInstance, error) {
	name := "instance-" + strconv.Itoa(i)
	opts := append(s.common("instance", name, targetPort),
		testcontainers.WithEnv(s.instanceEnv(name)),
		testcontainers.WithCmd("serve"),
		testcontainers.WithWaitStrategyAndDeadline(remaining(ctx), readyz()),
	)
	ctr, err := testcontainers.Run(ctx, s.targetImage, opts...)
	if ctr != nil {
		s.track(name, ctr)
	}
	if err != nil {
		return nil, fmt.Errorf("start %s: %w%s", name, err, s.logHint(ctx, ctr, name))
	}
	in := &dockerInstance{name: name, ctr: ctr}
	if err := in.refreshURL(ctx); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	if err := s.waitWorkers(ctx, in); err != nil {
		return nil, fmt.Errorf("start %s: %w%s", name, err, s.logHint(ctx, ctr, name))
	}
	s.mu.Lock()
	for len(s.instances) < i {
		s.instances = append(s.instances, nil)
	}
	s.instances[i-1] = in
	s.mu.Unlock()
	s.cfg.logf("%s: %s (%d workers × %d threads)", name, in.hostURL(), s.shape.Workers, s.shape.Threads)
	return in, nil
}

// waitWorkers waits until every worker of in has answered its /readyz: the
// container's wait strategy is content with one (stack.WaitWorkers).
func (s *dockerStack) waitWorkers(ctx context.Context, in *dockerInstance) error {
	return stack.WaitWorkers(ctx, in.hostURL()+"/readyz", s.shape.Workers)
}

// readyz is the readiness of a target instance, polled often so that a
// restart is seen as soon as it is done.
func readyz() wait.Strategy {
	return wait.ForHTTP("/readyz").WithPort(targetPort).WithPollInterval(50 * time.Millisecond)
}

// liveInstances are the instances not removed.
func (s *dockerStack) liveInstances() []*dockerInstance {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*dockerInstance
	for _, in := range s.instances {
		if in != nil {
			out = append(out, in)
		}
	}
	return out
}

// backends are the URLs the balancer knows the live instances by.
func (s *dockerStack) backends() []string {
	var urls []string
	for _, in := range s.liveInstances() {
		if b := in.backendURL(); b != "" {
			urls = append(urls, b)
		}
	}
	return urls
}

// startBalancer starts the shape's balancer in front of the instances
// started so far: target lb, or a real HAProxy.
func (s *dockerStack) startBalancer(ctx context.Context) error {
	if s.shape.BalancerName() == loadharness.BalancerHAProxy {
		return s.startHAProxy(ctx)
	}
	backends := s.backends()
	opts := append(s.common("lb", "lb", targetPort),
		testcontainers.WithEnv(map[string]string{
			"TARGET_LISTEN":   "0.0.0.0:8080",
			"TARGET_BACKENDS": strings.Join(backends, ","),
		}),
		testcontainers.WithCmd("lb"),
		testcontainers.WithWaitStrategyAndDeadline(remaining(ctx),
			wait.ForHTTP(haproxy.HealthzPath).WithPort(targetPort).WithPollInterval(50*time.Millisecond)),
	)
	ctr, err := testcontainers.Run(ctx, s.targetImage, opts...)
	if ctr != nil {
		s.track("lb", ctr)
		s.lb = ctr
	}
	if err != nil {
		return fmt.Errorf("start balancer: %w%s", err, s.logHint(ctx, ctr, "lb"))
	}
	s.lbURL, err = ctr.PortEndpoint(ctx, targetPort, "http")
	if err != nil {
		return fmt.Errorf("start balancer: %w", err)
	}
	s.balancer = stack.BuiltinBalancer{URL: s.lbURL}
	s.cfg.logf("balancer: %s (target lb) → %s", s.lbURL, strings.Join(backends, ", "))
	return nil
}

// logHint saves the log of a container that failed to start and says where
// it is, so the error alone is enough to find out why.
func (s *dockerStack) logHint(ctx context.Context, ctr testcontainers.Container, name string) string {
	if ctr == nil || s.cfg.Dir == "" {
		return ""
	}
	path := filepath.Join(s.cfg.Dir, name+".log")
	if err := saveLog(context.WithoutCancel(ctx), ctr, path); err != nil {
		return ""
	}
	return " (log: " + path + ")"
}

// remaining is what is left of ctx's deadline, for the waits that take a
// duration rather than a context.
func remaining(ctx context.Context) time.Duration {
	if dl, ok := ctx.Deadline(); ok {
		return max(time.Until(dl), time.Millisecond)
	}
	return DefaultDockerStartTimeout
}
