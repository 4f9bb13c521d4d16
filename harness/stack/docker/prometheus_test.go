package docker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	promapi "github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"loadharness"
	"loadharness/harness/stack"
)

// waitPromScalar polls the one-sample query q on the Prometheus at url
// until it equals want (-1: no sample), within timeout.
func waitPromScalar(t *testing.T, url, q string, want float64, timeout time.Duration) {
	t.Helper()
	c, err := promapi.NewClient(promapi.Config{Address: url})
	if err != nil {
		t.Fatal(err)
	}
	api := promv1.NewAPI(c)
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		v, _, _, err := api.Query(ctx, q, time.Now())
		cancel()
		if err != nil {
			t.Fatalf("query %s: %v", q, err)
		}
		got := -1.0
		if vec, ok := v.(model.Vector); ok && len(vec) == 1 {
			got = float64(vec[0].Value)
		} else if !ok || len(vec) > 1 {
			t.Fatalf("query %s: %v, want one sample or none", q, v)
		}
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %v after %s, want %v", q, got, timeout, want)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

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

	waitPromScalar(t, url, `count(up{job="target"} == 1)`, 4, 10*time.Second)
	waitPromScalar(t, url, `count(process_cpu_seconds_total{job="target"})`, 4, 10*time.Second)

	if _, err := st.Act(ctx, loadharness.ActionKillInstance, 1); err != nil {
		t.Fatal(err)
	}
	waitPromScalar(t, url, `count(up{job="target",instance="instance-1"} == 0)`, 2, 15*time.Second)
	waitPromScalar(t, url, `count(up{job="target"} == 1)`, 2, 15*time.Second)

	ev, err := st.Act(ctx, loadharness.ActionAddInstance, 0)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Target != "instance-3" {
		t.Fatalf("added %q, want instance-3", ev.Target)
	}
	waitPromScalar(t, url, `count(up{job="target",instance="instance-3"} == 1)`, 2, 15*time.Second)

	if _, err := st.Act(ctx, loadharness.ActionRemoveInstance, 3); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		targets, err := stack.PrometheusTargets(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		left := 0
		for _, tg := range targets {
			if tg.Instance == "instance-3" {
				left++
			}
		}
		if left == 0 && len(targets) == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("15s after remove-instance 3, Prometheus has %d of its targets (%d in all): %+v", left, len(targets), targets)
		}
		time.Sleep(250 * time.Millisecond)
	}

	if err := st.Close(ctx); err != nil {
		t.Fatalf("close: %v", err)
	}
	log, err := os.ReadFile(filepath.Join(d.Dir, "prometheus.log"))
	if err != nil || !strings.Contains(string(log), "Server is ready to receive web requests") {
		t.Errorf("prometheus.log saved at Close: %v; want Prometheus's own output, got:\n%.2000s", err, log)
	}
}
