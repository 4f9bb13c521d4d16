package harness_test

import (
	"context"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness"
	"loadharness/harness/stack/process"
	"loadharness/internal/promtest"
	"loadharness/scenarios/suite"
)

// TestPromQLGateOnTheStacksOwnPrometheus: with prometheus: true and no
// WithPrometheus, a promql gate reads the Prometheus the process stack
// brought up, which scrapes each of its 2 workers: up is 2 at every point
// of the main phase, and a gate wanting 3 fails at 2, measured.
func TestPromQLGateOnTheStacksOwnPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("process stack: skipped in -short mode")
	}
	promtest.Binary(t, "prometheus")
	s, err := suite.Parse("own-prometheus.yaml", []byte("name: own-prometheus\n"+
		"stack: {instances: 1, workers: 2, threads: 4, session_store: memory, dataset_store: session, prometheus: true}\n"+
		"abort: off\n"+
		"scenarios:\n  - name: health\n    users: 2\n    rate: 10/s\n    duration: 3s\n"+
		"    steps: [{name: h, path: /healthz, expect: {status: 200}}]\n"+
		"    gates: ['promql(`sum(up{job=\"target\"})`) == 2', 'promql(`sum(up{job=\"target\"})`) >= 3', errors == 0]\n"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := harness.RunOn(ctx, &process.Provider{TargetBin: targetBin, Dir: t.TempDir(), Logf: t.Logf}, s, false, harness.WithLogf(t.Logf))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, w := range res.Summary.Warnings {
		t.Logf("warning: %s", w)
	}
	want := map[string]bool{
		"promql(`sum(up{job=\"target\"})`) == 2": true,
		"promql(`sum(up{job=\"target\"})`) >= 3": false,
	}
	for _, g := range res.Summary.Gates {
		t.Logf("gate %s", g.Display)
		pass, ok := want[g.Gate.String()]
		if !ok {
			continue
		}
		delete(want, g.Gate.String())
		if g.Missing || g.Pass != pass || g.Measured != 2 {
			t.Errorf("%s: pass %v, missing %v; want pass %v, measured 2", g.Display, g.Pass, g.Missing, pass)
		}
	}
	if len(want) > 0 {
		t.Errorf("gates missing from the summary: %v", want)
	}
	if got := res.Summary.Verdict; got != loadharness.VerdictFail {
		t.Errorf("verdict %s, want fail (the >= 3 gate)", got)
	}
}
