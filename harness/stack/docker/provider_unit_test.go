package docker

import (
	"context"
	"maps"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	mobynetwork "github.com/moby/moby/api/types/network"

	"loadharness"
)

func TestDockerInstanceEnv(t *testing.T) {
	base := map[string]string{
		"TARGET_LISTEN":        "0.0.0.0:8080",
		"TARGET_REDIS_ADDR":    "redis:6379",
		"TARGET_SESSION_STORE": "redis",
		"TARGET_DATASET_STORE": "redis",
		"TARGET_WORKERS":       "4",
		"TARGET_THREADS":       "8",
		"TARGET_INSTANCE":      "instance-2",
		"TARGET_DATA_DIR":      "/data",
	}
	with := func(extra map[string]string) map[string]string {
		m := maps.Clone(base)
		maps.Copy(m, extra)
		return m
	}
	tests := []struct {
		name  string
		shape loadharness.StackShape
		want  map[string]string
	}{
		{"default shape sets no optional knob", loadharness.DefaultStackShape, base},
		{"queue, map cost and request timeout pass through", func() loadharness.StackShape {
			s := loadharness.DefaultStackShape
			s.Queue, s.MapCost, s.RequestTimeout = 16, 3, 1500*time.Millisecond
			return s
		}(), with(map[string]string{"TARGET_QUEUE": "16", "TARGET_MAP_COST": "3", "TARGET_REQUEST_TIMEOUT": "1.5s"})},
		{"memory sessions and file data sets", func() loadharness.StackShape {
			s := loadharness.DefaultStackShape
			s.SessionStore, s.DatasetStore = loadharness.SessionStoreMemory, loadharness.DatasetStoreFile
			return s
		}(), with(map[string]string{"TARGET_SESSION_STORE": "memory", "TARGET_DATASET_STORE": "file"})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &dockerStack{shape: tc.shape}
			got, want := s.instanceEnv("instance-2"), tc.want
			if !maps.Equal(got, want) {
				t.Errorf("instanceEnv:\n got %v\nwant %v", got, want)
			}
		})
	}
}

func TestLoopbackPorts(t *testing.T) {
	hc := &container.HostConfig{}
	loopbackPorts("8080/tcp", "6379/tcp")(hc)
	for _, p := range []string{"8080/tcp", "6379/tcp"} {
		port := mobynetwork.MustParsePort(p)
		b := hc.PortBindings[port]
		if len(b) != 1 {
			t.Fatalf("%s: got %d bindings, want 1", p, len(b))
		}
		got, want := b[0].HostIP, netip.MustParseAddr("127.0.0.1")
		if got != want {
			t.Errorf("%s: host IP got %v, want %v", p, got, want)
		}
	}
}

func TestRemaining(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if got := remaining(ctx); got <= 50*time.Second || got > time.Minute {
		t.Errorf("remaining with a minute left: got %v", got)
	}
	if got, want := remaining(context.Background()), DefaultDockerStartTimeout; got != want {
		t.Errorf("remaining without deadline: got %v, want %v", got, want)
	}
	expired, cancel2 := context.WithTimeout(context.Background(), -time.Second)
	defer cancel2()
	if got := remaining(expired); got <= 0 {
		t.Errorf("remaining of an expired context must stay positive (a zero wait means the default), got %v", got)
	}
}

func TestNewRunIDIsFreshAndLabelSafe(t *testing.T) {
	a, b := newRunID(), newRunID()
	if a == b {
		t.Fatalf("two run ids are equal: %s", a)
	}
	for _, id := range []string{a, b} {
		if len(id) != 12 || strings.Trim(id, "0123456789abcdef") != "" {
			t.Errorf("run id %q: want 12 lowercase hex digits (it goes into container names)", id)
		}
	}
}
