package docker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/stack"
	"loadharness/internal/promtest"
)

// TestDockerStackPrometheus brings up 2 instances × 2 workers with their
// own Prometheus in the stack's network: every worker is an up target, a
// killed instance's workers go down, an added one's are scraped, a removed
// one's are no longer targets, and Close keeps the Prometheus log.
func TestDockerStackPrometheus(t *testing.T) {
	requireDockerImages(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if !ImagePresent(ctx, DefaultPrometheusImage) {
		t.Skipf("image %s is missing: build the local images with `make images` (bash images/build.sh)", DefaultPrometheusImage)
	}
	shape := loadharness.DefaultStackShape
	shape.Instances, shape.Workers, shape.Threads, shape.Prometheus = 2, 2, 2, true
	d := &Provider{RedisImage: LocalRedisImage, TargetImage: DefaultTargetImage, Dir: t.TempDir(), Logf: t.Logf}
	st, err := d.Start(ctx, shape)
	if err != nil {
		t.Fatalf("start docker stack: %v", err)
	}
	t.Cleanup(func() { st.Close(context.Background()) })
	pr, ok := st.(stack.Prometheuser)
	if !ok {
		t.Fatalf("a stack with prometheus: true is a %T, not a stack.Prometheuser", st)
	}
	url := pr.PrometheusURL()
	if !strings.HasPrefix(url, "http://127.0.0.1:") {
		t.Errorf("PrometheusURL %q: want it published on loopback", url)
	}

	promtest.WaitScalar(t, url, `count(up{job="target"} == 1)`, 4, 10*time.Second)
	promtest.WaitScalar(t, url, `count(process_cpu_seconds_total{job="target"})`, 4, 10*time.Second)

	if _, err := st.Act(ctx, loadharness.ActionKillInstance, 1); err != nil {
		t.Fatal(err)
	}
	promtest.WaitScalar(t, url, `count(up{job="target",instance="instance-1"} == 0)`, 2, 15*time.Second)
	promtest.WaitScalar(t, url, `count(up{job="target"} == 1)`, 2, 15*time.Second)

	ev, err := st.Act(ctx, loadharness.ActionAddInstance, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Target != "instance-3" {
		t.Fatalf("added %q, want instance-3", ev.Target)
	}
	promtest.WaitScalar(t, url, `count(up{job="target",instance="instance-3"} == 1)`, 2, 15*time.Second)

	if _, err := st.Act(ctx, loadharness.ActionRemoveInstance, 3); err != nil {
		t.Fatal(err)
	}
	promtest.WaitInstanceDropped(t, url, "instance-3", 4, 15*time.Second)

	if err := st.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	log, err := os.ReadFile(filepath.Join(d.Dir, "prometheus.log"))
	if err != nil || !strings.Contains(string(log), "Server is ready to receive web requests") {
		t.Errorf("prometheus.log saved at Close: %v; want Prometheus's own output, got:\n%.2000s", err, log)
	}
}
