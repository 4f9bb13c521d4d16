package harness

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/stack/external"
)

// counterServer is the service under load, written from the rule, not from
// the harness: it answers every request, and serves bad_counter_total in
// Prometheus's text format on /metrics. When moving, each request it
// answers adds one to the counter; otherwise the counter stays at 7.
type counterServer struct {
	moving bool
	count  atomic.Int64
}

func (s *counterServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/metrics" {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "# HELP bad_counter_total Something that must not happen.\n# TYPE bad_counter_total counter\nbad_counter_total %d\n", 7+s.count.Load())
		return
	}
	if s.moving {
		s.count.Add(1)
	}
	w.Write([]byte("ok"))
}

// mustStartPrometheus runs Debian's prometheus on a free loopback port with
// its storage in a temporary directory, scraping each target (job name to
// host:port) every second, and returns its URL once every target is up.
// The process is killed by its pid when the test ends.
func mustStartPrometheus(tb testing.TB, targets map[string]string) string {
	tb.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatal("prometheus not on PATH, and CI installs it (apt-get install prometheus)")
		}
		tb.Skip("prometheus not on PATH (apt-get install prometheus; CI installs it): skipping the real-Prometheus test")
	}
	dir := tb.TempDir()
	var cfg strings.Builder
	cfg.WriteString("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n")
	for job, addr := range targets {
		fmt.Fprintf(&cfg, "  - job_name: %s\n    static_configs:\n      - targets: ['%s']\n", job, addr)
	}
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	addr := freeLoopbackAddr(tb)
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	logFile, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start prometheus: %v", err)
	}
	tb.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
	})
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for up := 0; up < len(targets); {
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "prometheus.log"))
			tb.Fatalf("prometheus at %s: %d of %d targets up after 30s; its log:\n%s", url, up, len(targets), log)
		}
		time.Sleep(200 * time.Millisecond)
		up = targetsUp(url)
	}
	return url
}

// targetsUp counts the active targets Prometheus has scraped successfully.
func targetsUp(url string) int {
	resp, err := http.Get(url + "/api/v1/targets?state=active")
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

func freeLoopbackAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestPromQLGateOnARealPrometheus: a gate on a counter of the service,
// read from a real Prometheus over the run's main phase, fails when the
// counter moves during the run and passes when it stays still.
func TestPromQLGateOnARealPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("real Prometheus: skipped in -short mode")
	}
	moves, still := &counterServer{moving: true}, &counterServer{}
	movesSrv, stillSrv := httptest.NewServer(moves), httptest.NewServer(still)
	defer movesSrv.Close()
	defer stillSrv.Close()
	prom := mustStartPrometheus(t, map[string]string{
		"moves": strings.TrimPrefix(movesSrv.URL, "http://"),
		"still": strings.TrimPrefix(stillSrv.URL, "http://"),
	})
	tests := []struct {
		job  string
		srv  *httptest.Server
		pass bool
	}{
		{"moves", movesSrv, false},
		{"still", stillSrv, true},
	}
	for _, tt := range tests {
		t.Run(tt.job, func(t *testing.T) {
			gate := fmt.Sprintf("promql(`increase(bad_counter_total{job=%q}[5s])`) == 0", tt.job)
			s := mustSuite(t, "name: promql-"+tt.job+"\nabort: off\nscenarios:\n  - name: load\n    users: 4\n    rate: 20/s\n    duration: 4s\n"+
				"    gates: ['"+gate+"', errors == 0]\n    steps: [{name: x, path: /x}]\n")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			res, err := RunOn(ctx, external.Provider{URL: tt.srv.URL}, s, false, WithLogf(t.Logf), WithPrometheus(prom))
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			var got *loadharness.GateResult
			for i, g := range res.Summary.Gates {
				t.Logf("gate %s", g.Display)
				if g.Gate.Metric.FromPrometheus() {
					got = &res.Summary.Gates[i]
				}
			}
			for _, w := range res.Summary.Warnings {
				t.Logf("warning: %s", w)
			}
			if got == nil || got.Missing {
				t.Fatalf("promql gate %+v: want it measured", got)
			}
			if got.Pass != tt.pass {
				t.Errorf("%s: pass = %v, want %v", got.Display, got.Pass, tt.pass)
			}
			switch {
			case tt.pass && got.Measured != 0:
				t.Errorf("measured %v on a still counter, want 0", got.Measured)
			case !tt.pass && got.Measured < 1:
				t.Errorf("measured %v on a counter that rose by %d, want at least 1", got.Measured, moves.count.Load())
			}
			want := loadharness.VerdictFail
			if tt.pass {
				want = loadharness.VerdictPass
			}
			if res.Summary.Verdict != want {
				t.Errorf("verdict %s, want %s (invalid: %v)", res.Summary.Verdict, want, res.Summary.InvalidReasons)
			}
		})
	}
}
