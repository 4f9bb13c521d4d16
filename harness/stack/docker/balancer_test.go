package docker

import (
	"context"
	"errors"
	"maps"
	"slices"
	"testing"

	"loadharness/harness/stack"
)

// fakeBalancer holds backends the way HAProxy's runtime API does: adding
// one held already, or removing one not held, is an error.
type fakeBalancer struct {
	held  map[string]bool
	calls []string
}

var _ stack.Balancer = (*fakeBalancer)(nil)

func (f *fakeBalancer) Add(_ context.Context, b string) error {
	f.calls = append(f.calls, "add "+b)
	if _, ok := f.held[b]; ok {
		return errors.New(b + " is already a backend")
	}
	f.held[b] = true
	return nil
}

func (f *fakeBalancer) Remove(_ context.Context, b string) error {
	f.calls = append(f.calls, "remove "+b)
	if _, ok := f.held[b]; !ok {
		return errors.New(b + " is not a backend")
	}
	delete(f.held, b)
	return nil
}

func (f *fakeBalancer) Health(context.Context) (map[string]bool, error) {
	return maps.Clone(f.held), nil
}

// TestHoldAtFollowsAddressesTheEngineReuses replays what the engine does
// to addresses on a stack's network (seen on Docker 20.10: a killed
// container's address goes to the next container started, and the killed
// one gets a new one when it starts again) and checks that the balancer
// ends up holding each live instance once, at its address.
func TestHoldAtFollowsAddressesTheEngineReuses(t *testing.T) {
	const a, b, c, d = "http://10.0.0.2:8080", "http://10.0.0.3:8080", "http://10.0.0.4:8080", "http://10.0.0.5:8080"
	one := &dockerInstance{name: "instance-1", backend: a}
	two := &dockerInstance{name: "instance-2", backend: b}
	fake := &fakeBalancer{held: map[string]bool{a: true, b: true}}
	s := &dockerStack{cfg: &Provider{Logf: t.Logf}, balancer: fake, instances: []*dockerInstance{one, two}}
	ctx := context.Background()

	// instance-1 is killed; instance-3 is added and takes its address.
	three := &dockerInstance{name: "instance-3"}
	s.instances = append(s.instances, three)
	if err := s.holdAt(ctx, three, a); err != nil {
		t.Fatal(err)
	}
	if got, want := fake.calls, []string{"remove " + a, "add " + a}; !slices.Equal(got, want) {
		t.Errorf("adding instance-3 at instance-1's address: calls %v, want %v", got, want)
	}
	if got := one.backendURL(); got != "" {
		t.Errorf("instance-1 still holds %q after instance-3 took it", got)
	}

	// instance-1 is restarted at a new address: only an add, nothing of
	// its old address (instance-3's now) is removed.
	fake.calls = nil
	if err := s.holdAt(ctx, one, c); err != nil {
		t.Fatal(err)
	}
	if got, want := fake.calls, []string{"add " + c}; !slices.Equal(got, want) {
		t.Errorf("restarting instance-1 at a new address: calls %v, want %v", got, want)
	}

	// instance-2 is restarted at a new address while still held at its
	// old one: the old one goes.
	fake.calls = nil
	if err := s.holdAt(ctx, two, d); err != nil {
		t.Fatal(err)
	}
	if got, want := fake.calls, []string{"remove " + b, "add " + d}; !slices.Equal(got, want) {
		t.Errorf("moving instance-2: calls %v, want %v", got, want)
	}

	// Restarted at the same address: nothing to do.
	fake.calls = nil
	if err := s.holdAt(ctx, three, a); err != nil {
		t.Fatal(err)
	}
	if len(fake.calls) != 0 {
		t.Errorf("same address: calls %v, want none", fake.calls)
	}

	want := map[string]bool{a: true, c: true, d: true}
	if !maps.Equal(fake.held, want) {
		t.Errorf("balancer holds %v, want %v", fake.held, want)
	}
	if got, want := s.backends(), []string{c, d, a}; !slices.Equal(got, want) {
		t.Errorf("backends %v, want %v", got, want)
	}
}
