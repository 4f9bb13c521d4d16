package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"loadharness"
	"loadharness/harness/stack"
	"loadharness/harness/stack/haproxy"
)

// DefaultStartTimeout bounds how long a stack may take to become ready.
const DefaultStartTimeout = 30 * time.Second

// Provider is the provider that runs the stack as local processes: a
// redis-server (or an embedded Redis when none is installed), N `target
// serve` instances with their workers, and `target lb` in front (or a real
// HAProxy, with StackShape.Balancer haproxy: package haproxy); with
// StackShape.Prometheus, also Debian's prometheus, scraping every worker's
// own metrics port, and the stack is then a stack.Prometheuser.
type Provider struct {
	// TargetBin is the path of the cmd/target binary.
	TargetBin string
	// Dir holds logs, Redis files and the instances' local data; it must exist.
	Dir string
	// StartTimeout bounds the start; 0 means DefaultStartTimeout.
	StartTimeout time.Duration
	// Logf reports progress; nil is silent.
	Logf func(format string, args ...any)
	// RedisFaults puts a fault proxy between the instances and Redis, for
	// the fault actions of a suite (Run sets it when a suite has them).
	RedisFaults bool
	// Track records every process started, for crash recovery; nil
	// records nothing.
	Track stack.Tracker
}

var _ stack.FaultProvider = (*Provider)(nil)

// WithRedisFaults returns a copy of p whose stacks put a fault proxy on
// the Redis link.
func (p *Provider) WithRedisFaults() stack.Provider {
	cp := *p
	cp.RedisFaults = true
	return &cp
}

// Start brings the stack up and waits until the balancer sees every instance
// ready. On any failure it tears down what it started.
func (p *Provider) Start(ctx context.Context, shape loadharness.StackShape) (_ stack.Stack, err error) {
	if errs := shape.Validate(); len(errs) > 0 {
		return nil, fmt.Errorf("stack shape: %w", errors.Join(errs...))
	}
	if _, statErr := os.Stat(p.TargetBin); statErr != nil {
		return nil, fmt.Errorf("target binary: %w (build it with `make build`)", statErr)
	}
	timeout := p.StartTimeout
	if timeout == 0 {
		timeout = DefaultStartTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	s := &processStack{cfg: p, shape: shape}
	defer func() {
		if err != nil {
			s.Close(context.Background())
		}
	}()
	redisDir := filepath.Join(p.Dir, "redis")
	if err := os.MkdirAll(redisDir, 0o755); err != nil {
		return nil, fmt.Errorf("start redis: %w", err)
	}
	s.redis, s.embedded, err = startRedis(ctx, redisDir, shape.RedisPersistence, p.Track)
	if err != nil {
		return nil, err
	}
	if shape.Prometheus {
		// Started early: its storage opens while the instances start, and
		// it reads each instance's targets file as it appears.
		promDir := filepath.Join(p.Dir, "prometheus")
		if err := os.MkdirAll(promDir, 0o755); err != nil {
			return nil, fmt.Errorf("start prometheus: %w", err)
		}
		if s.prom, err = startPrometheus(promDir, filepath.Join(p.Dir, "prometheus.log"), p.Track); err != nil {
			return nil, err
		}
	}
	if s.embedded {
		p.logf("WARNING: %s", embeddedRedisWarning)
	}
	p.logf("redis: %s at %s", s.redis.Kind(), s.redis.Addr())
	if p.RedisFaults {
		if s.faults, err = startRedisFaults(s.redis.Addr()); err != nil {
			return nil, err
		}
		p.logf("redis fault proxy: %s → %s", s.faults.Addr(), s.redis.Addr())
	}
	for i := 1; i <= shape.Instances; i++ {
		if _, err := s.startInstance(ctx, i); err != nil {
			return nil, err
		}
	}
	if err := s.startBalancer(ctx); err != nil {
		return nil, err
	}
	if err := s.waitBalanced(ctx); err != nil {
		return nil, err
	}
	if s.prom == nil {
		return s, nil
	}
	if err := s.waitPrometheus(ctx); err != nil {
		return nil, err
	}
	return &prometheusStack{s}, nil
}

// prometheusStack is a process stack that brought up its own Prometheus:
// only such a stack is a stack.Prometheuser.
type prometheusStack struct{ *processStack }

var _ stack.Prometheuser = prometheusStack{}

// PrometheusURL is the base URL of the stack's Prometheus.
func (s prometheusStack) PrometheusURL() string { return s.prom.url }

// waitPrometheus waits until Prometheus is ready and has scraped every
// worker of every instance once.
func (s *processStack) waitPrometheus(ctx context.Context) error {
	logPath := filepath.Join(s.cfg.Dir, "prometheus.log")
	if err := s.waitProcessHTTP(ctx, s.prom.proc, s.prom.url+"/-/ready", 1); err != nil {
		return fmt.Errorf("start prometheus: %w (log: %s)", err, logPath)
	}
	var want []stack.WorkerTarget
	for _, in := range s.instances {
		want = append(want, in.workerTargets(s.shape.Workers)...)
	}
	if err := stack.WaitPrometheusScrapes(ctx, s.prom.url, want); err != nil {
		return fmt.Errorf("start prometheus: %w (log: %s)", err, logPath)
	}
	s.cfg.logf("prometheus: %s (pid %d) scrapes %d workers", s.prom.url, s.prom.proc.Pid(), len(want))
	return nil
}

func (p *Provider) logf(format string, args ...any) {
	if p.Logf != nil {
		p.Logf(format, args...)
	}
}

type processStack struct {
	cfg      *Provider
	shape    loadharness.StackShape
	redis    redisServer
	embedded bool
	// faults is the proxy the instances reach Redis through; nil without
	// fault actions.
	faults *redisFaults
	// prom is the stack's own Prometheus; nil unless the shape asks.
	prom *prometheusServer

	mu        sync.Mutex
	instances []*instanceProcess // index i-1 is instance i; nil once removed
	lb        *process
	lbURL     string
	// balancer drives lb: target lb's /lb/backends or HAProxy's runtime API.
	balancer stack.Balancer
	closed   bool
}

type instanceProcess struct {
	name string
	url  string
	port int
	// metricsPort is worker 1's own metrics port (worker N's is
	// metricsPort+N-1); 0 when the workers have none (no Prometheus).
	metricsPort int
	proc        *process
}

// workerTargets are the instance's workers as its Prometheus scrapes them.
func (in *instanceProcess) workerTargets(workers int) []stack.WorkerTarget {
	return stack.InstanceTargets(in.name, "127.0.0.1", in.metricsPort, workers)
}

// exited reports whether the instance's process has ended; a nil instance
// (a number reserved while it starts) has not.
func (in *instanceProcess) exited() (bool, error) {
	if in == nil || in.proc == nil {
		return false, nil
	}
	return in.proc.exited()
}

func (s *processStack) URL() string { return s.lbURL }

func (s *processStack) Info() stack.Info {
	info := stack.Info{Provider: "process", Shape: s.shape, RedisKind: s.redis.Kind()}
	if s.embedded {
		info.Warnings = append(info.Warnings, embeddedRedisWarning)
	}
	return info
}

func (s *processStack) MetricsURLs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var urls []string
	for _, in := range s.instances {
		// A killed instance has nothing to say, and asking it would only log
		// refused connections and skew the counters' increase.
		if done, _ := in.exited(); in != nil && in.proc != nil && !done {
			urls = append(urls, in.url+"/metrics")
		}
	}
	return urls
}

// startInstance starts instance number i (1-based) on a new port and waits
// for its /readyz.
func (s *processStack) startInstance(ctx context.Context, i int) (*instanceProcess, error) {
	name := "instance-" + strconv.Itoa(i)
	port, err := stack.FreeLoopbackPort()
	if err != nil {
		return nil, err
	}
	dataDir := filepath.Join(s.cfg.Dir, name)
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	args := []string{"serve",
		"--listen", "127.0.0.1:" + strconv.Itoa(port),
		"--redis-addr", s.instanceRedisAddr(),
		"--session-store", s.shape.SessionStore,
		"--dataset-store", s.shape.DatasetStore,
		"--workers", strconv.Itoa(s.shape.Workers),
		"--threads", strconv.Itoa(s.shape.Threads),
		"--instance", name,
		"--data-dir", dataDir,
	}
	if s.shape.Queue > 0 {
		args = append(args, "--queue", strconv.Itoa(s.shape.Queue))
	}
	if s.shape.MapCost > 0 {
		args = append(args, "--map-cost", strconv.Itoa(s.shape.MapCost))
	}
	if s.shape.RequestTimeout > 0 {
		args = append(args, "--request-timeout", s.shape.RequestTimeout.String())
	}
	metricsPort := 0
	if s.prom != nil {
		// Each worker serves its metrics on a port of its own, so that
		// Prometheus scrapes every worker, not whichever the kernel picks.
		if metricsPort, err = freeLoopbackPorts(s.shape.Workers); err != nil {
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
		args = append(args, "--metrics-listen", "127.0.0.1:"+strconv.Itoa(metricsPort))
	}
	logPath := filepath.Join(s.cfg.Dir, name+".log")
	proc, err := startProcess(name, s.cfg.TargetBin, args, logPath, s.cfg.Track)
	if err != nil {
		return nil, err
	}
	in := &instanceProcess{name: name, url: "http://127.0.0.1:" + strconv.Itoa(port), port: port, metricsPort: metricsPort, proc: proc}
	s.mu.Lock()
	for len(s.instances) < i {
		s.instances = append(s.instances, nil)
	}
	s.instances[i-1] = in
	s.mu.Unlock()
	if err := s.waitProcessHTTP(ctx, proc, in.url+"/readyz", s.shape.Workers); err != nil {
		return nil, fmt.Errorf("start %s: %w (log: %s)", name, err, logPath)
	}
	if s.prom != nil {
		if err := s.prom.setInstance(name, in.workerTargets(s.shape.Workers)); err != nil {
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
	}
	s.cfg.logf("%s: %s (pid %d, %d workers × %d threads)", name, in.url, proc.Pid(), s.shape.Workers, s.shape.Threads)
	return in, nil
}

func (s *processStack) startBalancer(ctx context.Context) error {
	port, err := stack.FreeLoopbackPort()
	if err != nil {
		return err
	}
	var backends []string
	for _, in := range s.instances {
		backends = append(backends, in.url)
	}
	listen := "127.0.0.1:" + strconv.Itoa(port)
	logPath := filepath.Join(s.cfg.Dir, "lb.log")
	var proc *process
	if s.shape.BalancerName() == loadharness.BalancerHAProxy {
		proc, s.balancer, err = s.startHAProxy(ctx, listen, backends, logPath)
	} else {
		proc, err = startProcess("lb", s.cfg.TargetBin, []string{"lb",
			"--listen", listen,
			"--backends", strings.Join(backends, ","),
		}, logPath, s.cfg.Track)
		s.balancer = stack.BuiltinBalancer{URL: "http://" + listen}
	}
	if err != nil {
		return err
	}
	s.lb = proc
	s.lbURL = "http://" + listen
	// Both answer here: target lb itself, HAProxy through monitor-uri.
	if err := s.waitProcessHTTP(ctx, proc, s.lbURL+haproxy.HealthzPath, 1); err != nil {
		return fmt.Errorf("start balancer: %w (log: %s)", err, logPath)
	}
	s.cfg.logf("balancer: %s (pid %d, %s)", s.lbURL, proc.Pid(), s.shape.BalancerName())
	return nil
}

// startHAProxy writes HAProxy's configuration into the stack's directory,
// has HAProxy check it, and runs it in the foreground (-db) like every
// other child, its runtime API on a loopback port of its own.
func (s *processStack) startHAProxy(ctx context.Context, listen string, backends []string, logPath string) (*process, stack.Balancer, error) {
	bin, err := haproxy.Binary()
	if err != nil {
		return nil, nil, err
	}
	adminPort, err := stack.FreeLoopbackPort()
	if err != nil {
		return nil, nil, err
	}
	admin := "127.0.0.1:" + strconv.Itoa(adminPort)
	var cfg bytes.Buffer
	if err := (haproxy.Config{Listen: listen, Admin: admin, Backends: backends}).Write(&cfg); err != nil {
		return nil, nil, err
	}
	path := filepath.Join(s.cfg.Dir, "haproxy.cfg")
	if err := os.WriteFile(path, cfg.Bytes(), 0o644); err != nil {
		return nil, nil, fmt.Errorf("start balancer: %w", err)
	}
	if err := haproxy.Check(ctx, bin, path); err != nil {
		return nil, nil, fmt.Errorf("start balancer: %w", err)
	}
	proc, err := startProcess("lb", bin, []string{"-db", "-f", path}, logPath, s.cfg.Track)
	return proc, haproxy.Runtime{Addr: admin}, err
}

// waitBalanced waits until the balancer routes to every instance: its own
// health checks must have seen them before load starts.
func (s *processStack) waitBalanced(ctx context.Context) error {
	var urls []string
	for _, in := range s.instances {
		urls = append(urls, in.url)
	}
	return stack.WaitBalancerHealthy(ctx, s.balancer, urls...)
}

// waitProcessHTTP waits until url answers 200 and, for a target instance
// of several workers (workers > 1), until every worker has answered
// (stack.WaitWorkers), while watching that proc is still alive, so a
// target that dies on a bad flag fails the start at once.
func (s *processStack) waitProcessHTTP(ctx context.Context, proc *process, url string, workers int) error {
	waitCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-proc.done:
			cancel()
		case <-waitCtx.Done():
		}
	}()
	err := stack.WaitHTTP(waitCtx, url)
	if err == nil {
		err = stack.WaitWorkers(waitCtx, url, workers)
	}
	if done, exitErr := proc.exited(); done {
		return fmt.Errorf("%s exited before it was ready: %v", proc.name, exitErr)
	}
	return err
}

func (s *processStack) instance(i int) (*instanceProcess, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i < 1 || i > len(s.instances) || s.instances[i-1] == nil {
		return nil, fmt.Errorf("no instance %d (the stack has %d)", i, len(s.instances))
	}
	return s.instances[i-1], nil
}

// Act carries out a timed action on the process stack.
func (s *processStack) Act(ctx context.Context, kind loadharness.ActionKind, i int) (loadharness.Event, error) {
	return stack.Act(ctx, s, kind, i)
}

var _ stack.Parts = (*processStack)(nil)

func (s *processStack) Kill(ctx context.Context, i int) (string, error) {
	in, err := s.instance(i)
	if err != nil {
		return "", err
	}
	return in.name, in.proc.kill()
}

func (s *processStack) Restart(ctx context.Context, i int) (string, error) {
	in, err := s.instance(i)
	if err != nil {
		return "", err
	}
	if err := in.proc.stopWithin(10 * time.Second); err != nil {
		return in.name, err
	}
	return in.name, s.restartOnPort(ctx, i, in)
}

func (s *processStack) Add(ctx context.Context) (string, error) {
	// Reserve the number under the lock so two adds at once never start
	// the same instance twice.
	s.mu.Lock()
	s.instances = append(s.instances, nil)
	next := len(s.instances)
	s.mu.Unlock()
	in, err := s.startInstance(ctx, next)
	if err != nil {
		return "", err
	}
	if err := s.balancer.Add(ctx, in.url); err != nil {
		return in.name, err
	}
	// Done means taking load, as with the docker provider: wait for the
	// balancer's first passed check of the new backend (every 250 ms).
	waitCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return in.name, stack.WaitBalancerHealthy(waitCtx, s.balancer, in.url)
}

// Remove drains instance i out of the balancer, stops it and, with a
// Prometheus, stops its scrapes: a removed instance is gone, where a
// killed one stays a target whose workers are down (up == 0), as a dead
// machine does until someone removes it.
func (s *processStack) Remove(ctx context.Context, i int) (string, error) {
	in, err := s.instance(i)
	if err != nil {
		return "", err
	}
	if err := s.balancer.Remove(ctx, in.url); err != nil {
		return in.name, err
	}
	err = in.proc.stopWithin(10 * time.Second)
	if s.prom != nil {
		err = errors.Join(err, s.prom.dropInstance(in.name))
	}
	s.mu.Lock()
	s.instances[i-1] = nil
	s.mu.Unlock()
	return in.name, err
}

func (s *processStack) RestartRedis(ctx context.Context) error { return s.redis.Restart(ctx) }

// restartOnPort starts instance i again on the port it had, so the balancer
// finds it where it was: a replaced machine behind the same address.
func (s *processStack) restartOnPort(ctx context.Context, i int, old *instanceProcess) error {
	args := old.proc.cmd.Args[1:]
	proc, err := startProcess(old.name, s.cfg.TargetBin, args, filepath.Join(s.cfg.Dir, old.name+".log"), s.cfg.Track)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.instances[i-1] = &instanceProcess{name: old.name, url: old.url, port: old.port, metricsPort: old.metricsPort, proc: proc}
	s.mu.Unlock()
	return s.waitProcessHTTP(ctx, proc, old.url+"/readyz", s.shape.Workers)
}

// Close stops the balancer first (no new requests), then the instances,
// then Prometheus and Redis; every step runs even when an earlier one
// fails. Prometheus's log stays beside the others (prometheus.log).
func (s *processStack) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	instances := append([]*instanceProcess(nil), s.instances...)
	s.mu.Unlock()

	var errs []error
	if s.lb != nil {
		errs = append(errs, s.lb.stopWithin(5*time.Second))
	}
	var wg sync.WaitGroup
	instErrs := make([]error, len(instances))
	for i, in := range instances {
		if in == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			instErrs[i] = in.proc.stopWithin(10 * time.Second)
		}()
	}
	wg.Wait()
	errs = append(errs, instErrs...)
	if s.prom != nil {
		errs = append(errs, s.prom.close())
	}
	if s.faults != nil {
		s.faults.Close()
	}
	if s.redis != nil {
		errs = append(errs, s.redis.Close())
	}
	return errors.Join(errs...)
}

// RedisAddr is the stack's Redis, for the sampler's INFO readings.
func (s *processStack) RedisAddr() string { return s.redis.Addr() }
