package stack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// What a stack's own Prometheus (StackShape.Prometheus) scrapes, and how
// often: the same for every provider, so a PromQL gate reads the same
// series whichever brought the stack up.
const (
	// PrometheusJob is the job of the target's workers:
	// process_cpu_seconds_total{job="target"} is every worker's CPU.
	PrometheusJob = "target"
	// PrometheusScrapeInterval is how often every worker is scraped, and
	// rules evaluated: a run lasts seconds to minutes, and a rate over a
	// 30-second window needs tens of points, not two.
	PrometheusScrapeInterval = time.Second
)

// WorkerTarget is one target worker's own metrics endpoint (`target serve
// --metrics-listen`) as its stack's Prometheus scrapes it: at Addr, with
// the labels instance="Instance" and worker="Worker".
type WorkerTarget struct {
	// Addr is the host:port the Prometheus dials.
	Addr string
	// Instance names the instance, "instance-N", as events and X-Instance do.
	Instance string
	// Worker is the worker's slot, 1..W, as X-Worker says it.
	Worker int
}

// InstanceTargets are the W workers of instance, whose own metrics ports
// run from first on host (worker N on first+N-1).
func InstanceTargets(instance, host string, first, workers int) []WorkerTarget {
	out := make([]WorkerTarget, workers)
	for i := range out {
		out[i] = WorkerTarget{Addr: net.JoinHostPort(host, strconv.Itoa(first+i)), Instance: instance, Worker: i + 1}
	}
	return out
}

// PrometheusConfig is the prometheus.yml of a stack's Prometheus: one job,
// PrometheusJob, whose targets are read from the file_sd files matching
// targetsGlob. Prometheus watches those files and also re-reads them every
// second, so an instance added or removed at run time is scraped, or no
// longer, within about a second, without a reload.
func PrometheusConfig(targetsGlob string) []byte {
	// A JSON string is a YAML double-quoted string: any path is safe.
	glob, _ := json.Marshal(targetsGlob)
	iv := PrometheusScrapeInterval.String()
	return fmt.Appendf(nil, `# Written by loadharness for one stack; regenerated at every start.
global:
  scrape_interval: %[1]s
  scrape_timeout: %[1]s
  evaluation_interval: %[1]s
scrape_configs:
  - job_name: %[2]s
    file_sd_configs:
      - files: [%[3]s]
        refresh_interval: %[1]s
`, iv, PrometheusJob, glob)
}

// FileSD encodes targets as a Prometheus file_sd file: one group per
// worker, so each carries its own instance and worker labels. The instance
// label set here replaces the host:port Prometheus would use, so series
// read instance="instance-2", as the harness's events name it.
func FileSD(targets []WorkerTarget) []byte {
	type group struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels"`
	}
	groups := make([]group, 0, len(targets))
	for _, t := range targets {
		groups = append(groups, group{
			Targets: []string{t.Addr},
			Labels:  map[string]string{"instance": t.Instance, "worker": strconv.Itoa(t.Worker)},
		})
	}
	b, err := json.MarshalIndent(groups, "", "  ")
	if err != nil {
		panic(err) // strings and maps of strings always encode
	}
	return append(b, '\n')
}

// TargetHealth is what a Prometheus says of one active target of
// PrometheusJob, from its /api/v1/targets.
type TargetHealth struct {
	Instance string
	Worker   int
	// Health is "up", "down" or "unknown" (not scraped yet).
	Health    string
	LastError string
	ScrapeURL string
}

// PrometheusTargets asks the Prometheus at promURL which targets of
// PrometheusJob it scrapes now, and how the last scrape of each went.
func PrometheusTargets(ctx context.Context, promURL string) ([]TargetHealth, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(promURL, "/")+"/api/v1/targets?state=active", nil)
	if err != nil {
		return nil, fmt.Errorf("prometheus targets: %w", err)
	}
	resp, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("prometheus targets: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("prometheus targets: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("prometheus targets: %s: %.200s", resp.Status, body)
	}
	var answer struct {
		Status string `json:"status"`
		Data   struct {
			ActiveTargets []struct {
				Labels     map[string]string `json:"labels"`
				Health     string            `json:"health"`
				LastError  string            `json:"lastError"`
				ScrapePool string            `json:"scrapePool"`
				ScrapeURL  string            `json:"scrapeUrl"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return nil, fmt.Errorf("prometheus targets: %w", err)
	}
	if answer.Status != "success" {
		return nil, fmt.Errorf("prometheus targets: status %q", answer.Status)
	}
	var out []TargetHealth
	for _, t := range answer.Data.ActiveTargets {
		if t.Labels["job"] != PrometheusJob {
			continue
		}
		w, _ := strconv.Atoi(t.Labels["worker"])
		out = append(out, TargetHealth{Instance: t.Labels["instance"], Worker: w,
			Health: t.Health, LastError: t.LastError, ScrapeURL: t.ScrapeURL})
	}
	return out, nil
}

// WaitPrometheusScrapes waits until the Prometheus at promURL has scraped
// every worker of want successfully (health "up"), or ctx ends: a stack is
// not up until its monitoring sees all of it, or a gate over the first
// seconds would miss the workers not yet scraped. The error names the
// workers still missing and why.
func WaitPrometheusScrapes(ctx context.Context, promURL string, want []WorkerTarget) error {
	for delay := 50 * time.Millisecond; ; delay = min(delay*2, 250*time.Millisecond) {
		missing, err := missingScrapes(ctx, promURL, want)
		if err == nil && len(missing) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			if err == nil {
				err = fmt.Errorf("not scraped yet: %s", strings.Join(missing, "; "))
			}
			return fmt.Errorf("wait for prometheus to scrape %d workers: %w (last: %v)", len(want), ctx.Err(), err)
		case <-time.After(delay):
		}
	}
}

// missingScrapes lists the workers of want that the Prometheus has not
// scraped successfully, with what it said of each.
func missingScrapes(ctx context.Context, promURL string, want []WorkerTarget) ([]string, error) {
	seen, err := PrometheusTargets(ctx, promURL)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, w := range want {
		i := slices.IndexFunc(seen, func(h TargetHealth) bool { return h.Instance == w.Instance && h.Worker == w.Worker })
		switch {
		case i < 0:
			missing = append(missing, fmt.Sprintf("%s worker %d (%s): not a target", w.Instance, w.Worker, w.Addr))
		case seen[i].Health != "up":
			missing = append(missing, fmt.Sprintf("%s worker %d (%s): %s %s", w.Instance, w.Worker, w.Addr, seen[i].Health, seen[i].LastError))
		}
	}
	return missing, nil
}
