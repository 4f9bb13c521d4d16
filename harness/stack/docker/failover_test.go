package docker

import (
	"context"
	"sync"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness"
	"loadharness/harness/stack"
	"loadharness/scenarios/suite"
)

// capturingProvider remembers the stack its provider started, so a test
// can look for what the stack left behind after Run closed it.
type capturingProvider struct {
	stack.Provider
	mu sync.Mutex
	st stack.Stack
}

func (c *capturingProvider) Start(ctx context.Context, shape loadharness.StackShape) (stack.Stack, error) {
	st, err := c.Provider.Start(ctx, shape)
	c.mu.Lock()
	c.st = st
	c.mu.Unlock()
	return st, err
}

// TestFailoverSuiteOnDocker runs the failover suite as shipped on
// containers, behind each balancer.
func TestFailoverSuiteOnDocker(t *testing.T) {
	requireDockerImages(t)
	balancers(t, testFailoverSuiteOnDocker)
}

func testFailoverSuiteOnDocker(t *testing.T, balancer string) {
	su, err := suite.Load("failover")
	if err != nil {
		t.Fatal(err)
	}
	su.Stack.Balancer = balancer
	dir := t.TempDir()
	provider := &capturingProvider{Provider: &Provider{RedisImage: LocalRedisImage, TargetImage: DefaultTargetImage, Dir: dir, Logf: t.Logf}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	started := time.Now()
	res, err := harness.RunOn(ctx, provider, su, false, harness.WithLogf(t.Logf))
	s := res.Summary
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Logf("docker failover run behind %s took %s", balancer, time.Since(started).Round(time.Second))
	for _, sc := range s.Scenarios {
		t.Logf("%s: %d requests, %d failed; codes %v; errors %v", sc.Name, sc.Requests, sc.Failed, sc.Codes, sc.Errors)
	}
	for _, g := range s.Gates {
		t.Logf("gate %s", g.Display)
		// Timing on a shared machine is judged in the process test; here
		// the containers must keep every session and recover at all.
		switch {
		case g.Gate.Metric.Name == loadharness.MetricSessionsLost:
			if !g.Pass {
				t.Errorf("sessions lost on containers: %s", g.Display)
			}
		case g.Gate.Metric.Name == loadharness.MetricRecoveryTime && g.Missing:
			t.Errorf("never recovered from the kill: %s", g.Display)
		case !g.Pass:
			t.Errorf("gate failed: %s", g.Display)
		}
	}
	killed := false
	for _, ev := range s.Events {
		killed = killed || ev.Kind == string(loadharness.ActionKillInstance) && ev.Target == "instance-2" && ev.Detail == ""
	}
	if !killed {
		t.Errorf("events %+v, want the kill of instance-2", s.Events)
	}
	provider.mu.Lock()
	ds, ok := provider.st.(*dockerStack)
	provider.mu.Unlock()
	if !ok {
		t.Fatalf("stack %T, want a docker stack", provider.st)
	}
	if containers, networks := labelled(t, ds.runID); containers != 0 || networks != 0 {
		t.Errorf("left behind: %d containers, %d networks with label %s=%s", containers, networks, RunLabel, ds.runID)
	}
}
