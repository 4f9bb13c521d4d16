package harness

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"loadharness"
	"loadharness/scenarios"
)

// capturingProvider remembers the stack its provider started, so a test
// can look for what the stack left behind after Run closed it.
type capturingProvider struct {
	Provider
	mu    sync.Mutex
	stack Stack
}

func (c *capturingProvider) Start(ctx context.Context, shape loadharness.StackShape) (Stack, error) {
	st, err := c.Provider.Start(ctx, shape)
	c.mu.Lock()
	c.stack = st
	c.mu.Unlock()
	return st, err
}

func TestFailoverSuiteOnDocker(t *testing.T) {
	requireDockerImages(t)
	suite, err := scenarios.Load("failover")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	provider := &capturingProvider{Provider: &Docker{RedisImage: LocalRedisImage, TargetImage: DefaultTargetImage, Dir: dir, Logf: t.Logf}}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	started := time.Now()
	s, err := Run(ctx, Config{Suite: suite, Provider: provider, OutDir: dir, Logf: t.Logf})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	t.Logf("docker failover run took %s", time.Since(started).Round(time.Second))
	for _, g := range s.Gates {
		t.Logf("gate %s", g.Display)
		// Timing on a shared machine is judged in the process test; here
		// the containers must keep every session and recover at all.
		switch {
		case strings.HasPrefix(g.Gate, "sessions_lost"):
			if !g.Pass {
				t.Errorf("sessions lost on containers: %s", g.Display)
			}
		case strings.HasPrefix(g.Gate, "recovery_time") && g.Missing:
			t.Errorf("never recovered from the kill: %s", g.Display)
		case !g.Pass && hostOverloaded():
			t.Logf("NOT JUDGED on an overloaded host: %s", g.Display)
		case !g.Pass:
			t.Errorf("gate failed: %s", g.Display)
		}
	}
	killed := false
	for _, ev := range s.Events {
		killed = killed || ev.Kind == scenarios.ActionKillInstance && ev.Target == "instance-2" && ev.Detail == ""
	}
	if !killed {
		t.Errorf("events %+v, want the kill of instance-2", s.Events)
	}
	provider.mu.Lock()
	ds, ok := provider.stack.(*dockerStack)
	provider.mu.Unlock()
	if !ok {
		t.Fatalf("stack %T, want a docker stack", provider.stack)
	}
	if containers, networks := labelled(t, ds.runID); containers != 0 || networks != 0 {
		t.Errorf("left behind: %d containers, %d networks with label %s=%s", containers, networks, RunLabel, ds.runID)
	}
}
