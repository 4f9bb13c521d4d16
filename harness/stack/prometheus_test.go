package stack_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"loadharness/harness/stack"
	"loadharness/internal/promtest"
)

func TestInstanceTargets(t *testing.T) {
	got := stack.InstanceTargets("instance-2", "127.0.0.1", 9100, 3)
	want := []stack.WorkerTarget{
		{Addr: "127.0.0.1:9100", Instance: "instance-2", Worker: 1},
		{Addr: "127.0.0.1:9101", Instance: "instance-2", Worker: 2},
		{Addr: "127.0.0.1:9102", Instance: "instance-2", Worker: 3},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d targets, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("target %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestFileSDLabelsEachWorker reads FileSD's output back as Prometheus does:
// a list of groups, each with its targets and labels.
func TestFileSDLabelsEachWorker(t *testing.T) {
	b := stack.FileSD(stack.InstanceTargets("instance-1", "instance-1", 9100, 2))
	var groups []struct {
		Targets []string          `json:"targets"`
		Labels  map[string]string `json:"labels"`
	}
	if err := json.Unmarshal(b, &groups); err != nil {
		t.Fatalf("FileSD output is not a file_sd JSON list: %v\n%s", err, b)
	}
	want := []struct{ target, instance, worker string }{
		{"instance-1:9100", "instance-1", "1"},
		{"instance-1:9101", "instance-1", "2"},
	}
	if len(groups) != len(want) {
		t.Fatalf("%d groups, want %d:\n%s", len(groups), len(want), b)
	}
	for i, w := range want {
		g := groups[i]
		if len(g.Targets) != 1 || g.Targets[0] != w.target || g.Labels["instance"] != w.instance || g.Labels["worker"] != w.worker {
			t.Errorf("group %d = %+v, want target %s instance %s worker %s", i, g, w.target, w.instance, w.worker)
		}
	}
	if got := string(stack.FileSD(nil)); strings.TrimSpace(got) != "[]" {
		t.Errorf("FileSD(nil) = %q, want an empty list (no targets), not null", got)
	}
}

// TestPrometheusConfigPassesPromtool checks the generated configuration
// and a targets file with Prometheus's own checker, when it is installed.
func TestPrometheusConfigPassesPromtool(t *testing.T) {
	promtool := promtest.Binary(t, "promtool")
	dir := t.TempDir()
	// A space and a quote in the path: the glob must be quoted right.
	sd := filepath.Join(dir, `targets "sd"`)
	if err := os.MkdirAll(sd, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(sd, "instance-1.json"), stack.FileSD(stack.InstanceTargets("instance-1", "127.0.0.1", 9100, 2)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, stack.PrometheusConfig(filepath.Join(sd, "*.json")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(promtool, "check", "config", cfg).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool check config: %v\n%s\n%s", err, out, stack.PrometheusConfig(filepath.Join(sd, "*.json")))
	}
	if !strings.Contains(string(out), "SUCCESS") {
		t.Errorf("promtool check config did not say SUCCESS:\n%s", out)
	}
}

func TestPrometheusTargets(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		want    []stack.TargetHealth
		wantErr string
	}{
		{
			name:   "workers of the target job, others left out",
			status: http.StatusOK,
			body: `{"status":"success","data":{"activeTargets":[
				{"labels":{"job":"target","instance":"instance-1","worker":"1"},"health":"up","lastError":"","scrapeUrl":"http://127.0.0.1:9100/metrics"},
				{"labels":{"job":"target","instance":"instance-1","worker":"2"},"health":"down","lastError":"connection refused","scrapeUrl":"http://127.0.0.1:9101/metrics"},
				{"labels":{"job":"loadtest","instance":"127.0.0.1:9000"},"health":"up"}]}}`,
			want: []stack.TargetHealth{
				{Instance: "instance-1", Worker: 1, Health: "up", ScrapeURL: "http://127.0.0.1:9100/metrics"},
				{Instance: "instance-1", Worker: 2, Health: "down", LastError: "connection refused", ScrapeURL: "http://127.0.0.1:9101/metrics"},
			},
		},
		{name: "not ready", status: http.StatusServiceUnavailable, body: "Service Unavailable", wantErr: "503"},
		{name: "error status", status: http.StatusOK, body: `{"status":"error"}`, wantErr: `status "error"`},
		{name: "not JSON", status: http.StatusOK, body: `<html>`, wantErr: "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/api/v1/targets" {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(tt.status)
				w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			got, err := stack.PrometheusTargets(context.Background(), srv.URL)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			for i := range tt.want {
				if got[i] != tt.want[i] {
					t.Errorf("target %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

// TestWaitPrometheusScrapesSaysWhatIsMissing waits on a Prometheus whose
// second worker never comes up: the wait ends with ctx and names it.
func TestWaitPrometheusScrapesSaysWhatIsMissing(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"success","data":{"activeTargets":[
			{"labels":{"job":"target","instance":"instance-1","worker":"1"},"health":"up"},
			{"labels":{"job":"target","instance":"instance-1","worker":"2"},"health":"down","lastError":"connection refused"}]}}`))
	}))
	defer srv.Close()
	targets := stack.InstanceTargets("instance-1", "127.0.0.1", 9100, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	defer cancel()
	err := stack.WaitPrometheusScrapes(ctx, srv.URL, targets)
	if err == nil {
		t.Fatal("wait = nil with worker 2 down, want an error")
	}
	if !strings.Contains(err.Error(), "instance-1 worker 2") || !strings.Contains(err.Error(), "connection refused") ||
		strings.Contains(err.Error(), "worker 1 ") {
		t.Errorf("error %q: want it to name worker 2 and why, and only it", err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel2()
	if err := stack.WaitPrometheusScrapes(ctx2, srv.URL, targets[:1]); err != nil {
		t.Errorf("wait for worker 1 alone, which is up: %v", err)
	}
}
