package docker

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"loadharness/harness/stack"
)

// DefaultPrometheusImage is the host's Debian prometheus packed by
// images/build.sh, run when the shape asks for a Prometheus
// (StackShape.Prometheus) and Provider.PrometheusImage is empty.
const DefaultPrometheusImage = "loadharness/prometheus:dev"

// Inside the containers of a stack with a Prometheus.
const (
	prometheusPort = "9090/tcp"
	// workerMetricsPort is worker 1's own metrics port in an instance
	// container (`target serve --metrics-listen`); worker N's is
	// workerMetricsPort+N-1. Only the stack's network reaches them.
	workerMetricsPort = 9100
	// prometheusTargetsDir holds one file_sd file per instance. The
	// engine's copy into a container removes a file and writes it anew,
	// so a file is never rewritten in place while it matters: each
	// instance has its own, written when it starts and emptied when it
	// is removed, and Prometheus re-reads them every second.
	prometheusTargetsDir = "/etc/prometheus/targets"
	prometheusConfigPath = "/etc/prometheus/prometheus.yml"
)

// prometheusStack is a container stack that brought up its own Prometheus:
// only such a stack is a stack.Prometheuser.
type prometheusStack struct{ *dockerStack }

var _ stack.Prometheuser = prometheusStack{}

// PrometheusURL is the base URL of the stack's Prometheus, published on
// loopback.
func (s prometheusStack) PrometheusURL() string { return s.promURL }

// workerTargets are instance name's workers as the stack's Prometheus
// scrapes them: by the instance's network alias.
func (s *dockerStack) workerTargets(name string) []stack.WorkerTarget {
	return stack.InstanceTargets(name, name, workerMetricsPort, s.shape.Workers)
}

func targetsPath(instance string) string {
	return path.Join(prometheusTargetsDir, instance+".json")
}

// startPrometheus starts the stack's Prometheus on its network, scraping
// the workers of every instance started so far, and waits until it is
// ready.
func (s *dockerStack) startPrometheus(ctx context.Context) error {
	files := []testcontainers.ContainerFile{{
		Reader:            bytes.NewReader(stack.PrometheusConfig(path.Join(prometheusTargetsDir, "*.json"))),
		ContainerFilePath: prometheusConfigPath,
		FileMode:          0o644,
	}}
	for _, in := range s.liveInstances() {
		files = append(files, testcontainers.ContainerFile{
			Reader:            bytes.NewReader(stack.FileSD(s.workerTargets(in.name))),
			ContainerFilePath: targetsPath(in.name),
			FileMode:          0o644,
		})
	}
	opts := append(s.common("prometheus", "prometheus", prometheusPort),
		testcontainers.WithFiles(files...),
		testcontainers.WithCmd(
			"--config.file="+prometheusConfigPath,
			"--storage.tsdb.path=/prometheus",
			"--web.listen-address=0.0.0.0:9090",
			// Remote write v1, what Prometheus 2.42 receives.
			"--web.enable-remote-write-receiver",
		),
		testcontainers.WithWaitStrategyAndDeadline(remaining(ctx),
			wait.ForHTTP("/-/ready").WithPort(prometheusPort).WithPollInterval(100*time.Millisecond)),
	)
	ctr, err := testcontainers.Run(ctx, s.prometheusImage, opts...)
	if ctr != nil {
		s.track("prometheus", ctr)
		s.prometheus = ctr
	}
	if err != nil {
		return fmt.Errorf("start prometheus (%s): %w%s", s.prometheusImage, err, s.logHint(ctx, ctr, "prometheus"))
	}
	if s.promURL, err = ctr.PortEndpoint(ctx, prometheusPort, "http"); err != nil {
		return fmt.Errorf("start prometheus: %w", err)
	}
	s.cfg.logf("prometheus: %s (in the network: prometheus:9090)", s.promURL)
	return nil
}

// waitScrapes waits until the Prometheus has scraped every worker of every
// live instance once.
func (s *dockerStack) waitScrapes(ctx context.Context) error {
	var want []stack.WorkerTarget
	for _, in := range s.liveInstances() {
		want = append(want, s.workerTargets(in.name)...)
	}
	if err := stack.WaitPrometheusScrapes(ctx, s.promURL, want); err != nil {
		return fmt.Errorf("start prometheus: %w%s", err, s.logHint(ctx, s.prometheus, "prometheus"))
	}
	s.cfg.logf("prometheus scrapes %d workers", len(want))
	return nil
}

// setTargets makes the Prometheus scrape instance name's workers, or none
// of them when drop: the file is copied into the container.
func (s *dockerStack) setTargets(ctx context.Context, name string, drop bool) error {
	if s.prometheus == nil {
		return nil
	}
	var targets []stack.WorkerTarget
	if !drop {
		targets = s.workerTargets(name)
	}
	if err := s.prometheus.CopyToContainer(ctx, stack.FileSD(targets), targetsPath(name), 0o644); err != nil {
		return fmt.Errorf("prometheus targets of %s: %w", name, err)
	}
	return nil
}
