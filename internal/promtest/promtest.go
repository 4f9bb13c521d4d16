// Package promtest starts Debian's prometheus for tests and asks it what
// it holds: the tests that check the harness against a real Prometheus,
// rather than a fake one, share one way to run it and to read it.
package promtest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"loadharness/harness/stack"
)

// DefaultScrapeInterval is how often Start's Prometheus scrapes its
// targets when Config says nothing: a test lasts seconds, and wants
// several points in that time.
const DefaultScrapeInterval = time.Second

// startTimeout bounds the wait for Prometheus to be ready and, when
// Config.WaitUp asks it, for every target to be up.
const startTimeout = 30 * time.Second

// Config says what Start's Prometheus does.
type Config struct {
	// Targets maps a job name to the host:port Prometheus scrapes for it,
	// at /metrics.
	Targets map[string]string
	// ScrapeInterval is how often every target is scraped, and rules
	// evaluated; 0 is DefaultScrapeInterval.
	ScrapeInterval time.Duration
	// RemoteWriteReceiver accepts pushes on /api/v1/write.
	RemoteWriteReceiver bool
	// WaitUp makes Start return only once every target is up. Leave it
	// off for a target that only listens after Start returns.
	WaitUp bool
}

// Binary returns the path of name, a program of Debian's prometheus
// package (prometheus, promtool). Where it is missing the test is skipped,
// except when CI is set: CI installs the package, so there it fails.
func Binary(tb testing.TB, name string) string {
	tb.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("%s not on PATH, and CI is set: .ci/run installs Debian's prometheus package (%v)", name, err)
		}
		tb.Skipf("%s not on PATH (apt-get install prometheus; CI installs it)", name)
	}
	return bin
}

// Start runs Debian's prometheus on a free loopback port, with its
// storage in tb.TempDir(), and returns its base URL once it is ready (and
// every target is up, with Config.WaitUp), within 30 seconds. The
// process is killed by its pid when the test ends; if the test failed,
// the tail of Prometheus's log is logged then. Start skips the test in
// -short mode, and as Binary does where prometheus is missing.
func Start(tb testing.TB, cfg Config) string {
	tb.Helper()
	if testing.Short() {
		tb.Skip("a real Prometheus: skipped in -short mode")
	}
	bin := Binary(tb, "prometheus")
	dir := tb.TempDir()
	configFile, logPath := filepath.Join(dir, "prometheus.yml"), filepath.Join(dir, "prometheus.log")
	if err := os.WriteFile(configFile, cfg.yaml(), 0o644); err != nil {
		tb.Fatal(err)
	}
	port, err := stack.FreeLoopbackPort()
	if err != nil {
		tb.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"--config.file=" + configFile, "--storage.tsdb.path=" + filepath.Join(dir, "data"), "--web.listen-address=" + addr}
	if cfg.RemoteWriteReceiver {
		args = append(args, "--web.enable-remote-write-receiver")
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer logFile.Close() // the child has its own copy
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start prometheus: %v", err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if tb.Failed() {
			if log, err := os.ReadFile(logPath); err == nil {
				tb.Logf("prometheus log (tail):\n%s", tail(log, 8000))
			}
		}
	})
	url := "http://" + addr
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := stack.WaitHTTP(ctx, url+"/-/ready"); err != nil {
		tb.Fatalf("prometheus on %s never became ready: %v", addr, err)
	}
	if !cfg.WaitUp {
		return url
	}
	for up := targetsUp(ctx, url); up < len(cfg.Targets); up = targetsUp(ctx, url) {
		select {
		case <-ctx.Done():
			tb.Fatalf("prometheus at %s: %d of %d targets up after %s", url, up, len(cfg.Targets), startTimeout)
		case <-time.After(pollEvery):
		}
	}
	return url
}

// yaml is the prometheus.yml of c: one job per target, in name order.
func (c Config) yaml() []byte {
	iv := c.ScrapeInterval
	if iv == 0 {
		iv = DefaultScrapeInterval
	}
	var b strings.Builder
	fmt.Fprintf(&b, "global: {scrape_interval: %[1]s, scrape_timeout: %[1]s, evaluation_interval: %[1]s}\n", iv)
	if len(c.Targets) > 0 {
		b.WriteString("scrape_configs:\n")
	}
	for _, job := range slices.Sorted(maps.Keys(c.Targets)) {
		// A Go-quoted string is a YAML double-quoted string.
		fmt.Fprintf(&b, "  - job_name: %q\n    static_configs: [{targets: [%q]}]\n", job, c.Targets[job])
	}
	return []byte(b.String())
}

// targetsUp counts the active targets, of any job, that Prometheus has
// scraped successfully; 0 when it does not answer.
func targetsUp(ctx context.Context, url string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/v1/targets?state=active", nil)
	if err != nil {
		return 0
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var body struct {
		Data struct {
			ActiveTargets []struct {
				Health string `json:"health"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if json.NewDecoder(resp.Body).Decode(&body) != nil {
		return 0
	}
	n := 0
	for _, t := range body.Data.ActiveTargets {
		if t.Health == "up" {
			n++
		}
	}
	return n
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
