package stack_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"loadharness"
	"loadharness/harness/stack"
)

// fakeParts records the actions asked of it and numbers added instances
// after its starting ones.
type fakeParts struct {
	instances int
	calls     []string
	fail      map[string]error // by action kind
}

var _ stack.Parts = (*fakeParts)(nil)

func (f *fakeParts) do(kind loadharness.ActionKind, i int) (string, error) {
	f.calls = append(f.calls, fmt.Sprintf("%s %d", kind, i))
	if kind == loadharness.ActionAddInstance {
		if err := f.fail[string(kind)]; err != nil {
			return "", err
		}
		f.instances++
		i = f.instances
	}
	if err := f.fail[string(kind)]; err != nil {
		return fmt.Sprintf("instance-%d", i), err
	}
	return fmt.Sprintf("instance-%d", i), nil
}

func (f *fakeParts) Kill(_ context.Context, i int) (string, error) {
	return f.do(loadharness.ActionKillInstance, i)
}
func (f *fakeParts) Restart(_ context.Context, i int) (string, error) {
	return f.do(loadharness.ActionRestartInstance, i)
}
func (f *fakeParts) Add(context.Context) (string, error) {
	return f.do(loadharness.ActionAddInstance, 0)
}
func (f *fakeParts) Remove(_ context.Context, i int) (string, error) {
	return f.do(loadharness.ActionRemoveInstance, i)
}
func (f *fakeParts) RestartRedis(context.Context) error {
	_, err := f.do(loadharness.ActionRestartRedis, 0)
	return err
}

func TestActNamesWhatItActedOn(t *testing.T) {
	tests := []struct {
		kind       loadharness.ActionKind
		instance   int
		wantTarget string
	}{
		{loadharness.ActionKillInstance, 2, "instance-2"},
		{loadharness.ActionRestartInstance, 1, "instance-1"},
		{loadharness.ActionAddInstance, 0, "instance-4"},
		{loadharness.ActionRemoveInstance, 3, "instance-3"},
		{loadharness.ActionRestartRedis, 0, "redis"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			ev, err := stack.Act(context.Background(), &fakeParts{instances: 3}, tt.kind, tt.instance)
			if err != nil {
				t.Fatal(err)
			}
			if ev.Kind != string(tt.kind) || ev.Target != tt.wantTarget || ev.At.IsZero() {
				t.Errorf("event = %+v, want kind %s on %s with a time", ev, tt.kind, tt.wantTarget)
			}
		})
	}
	if _, err := stack.Act(context.Background(), &fakeParts{}, "explode", 1); err == nil {
		t.Error("an unknown action was carried out")
	}
}

func TestReplaceInstance(t *testing.T) {
	tests := []struct {
		name       string
		fail       map[string]error
		wantCalls  []string
		wantErr    bool
		wantDetail string
	}{
		{"surge then drain", nil, []string{"add-instance 0", "remove-instance 2"}, false, "replaced by instance-4"},
		{"no replacement, no removal", map[string]error{"add-instance": errors.New("no room")},
			[]string{"add-instance 0"}, true, "start the replacement: no room"},
		{"removal fails", map[string]error{"remove-instance": errors.New("drain timed out")},
			[]string{"add-instance 0", "remove-instance 2"}, true, "instance-4 started, but removing instance-2 failed: drain timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakeParts{instances: 3, fail: tt.fail}
			ev, err := stack.Act(context.Background(), p, loadharness.ActionReplaceInstance, 2)
			if (err != nil) != tt.wantErr {
				t.Errorf("err = %v, want error %v", err, tt.wantErr)
			}
			if got := p.calls; fmt.Sprint(got) != fmt.Sprint(tt.wantCalls) {
				t.Errorf("calls = %v, want %v", got, tt.wantCalls)
			}
			if got, want := ev.Kind, string(loadharness.ActionReplaceInstance); got != want {
				t.Errorf("kind = %q, want %q", got, want)
			}
			if got, want := ev.Target, "instance-2"; got != want {
				t.Errorf("target = %q, want %q", got, want)
			}
			if ev.Detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", ev.Detail, tt.wantDetail)
			}
			if ev.At.IsZero() {
				t.Error("event has no time")
			}
		})
	}
}

func TestInstanceNumber(t *testing.T) {
	tests := []struct {
		target string
		want   int
		ok     bool
	}{
		{"instance-4", 4, true},
		{"instance-12", 12, true},
		{"instance-0", 0, false},
		{"instance-", 0, false},
		{"redis", 0, false},
		{"instance-x", 0, false},
	}
	for _, tt := range tests {
		got, ok := stack.InstanceNumber(tt.target)
		if got != tt.want || ok != tt.ok {
			t.Errorf("stack.InstanceNumber(%q) = %d, %v; want %d, %v", tt.target, got, ok, tt.want, tt.ok)
		}
	}
}
