package target

import (
	"strings"
	"testing"
	"time"

	"loadharness/target/dataset"
)

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name    string
		edit    func(*Config)
		wantErr []string
	}{
		{"defaults with redis", func(c *Config) { c.RedisAddr = "127.0.0.1:6379" }, nil},
		{"before shape needs no redis", func(c *Config) {
			c.SessionStore, c.DatasetStore = SessionStoreMemory, DatasetStoreSession
		}, nil},
		{"redis stores need an address", func(c *Config) {}, []string{"session store redis needs", "dataset store redis needs"}},
		{"unknown stores", func(c *Config) {
			c.RedisAddr = "x:1"
			c.SessionStore, c.DatasetStore = "cookie", "s3"
		}, []string{`session store "cookie"`, `dataset store "s3"`}},
		{"every bad number at once", func(c *Config) {
			c.RedisAddr = "x:1"
			c.Threads, c.Queue, c.MapCost = -1, -1, -1
			c.RequestTimeout = -time.Second
		}, []string{"threads", "queue", "map cost", "request timeout"}},
		{"bad circuit", func(c *Config) {
			c.RedisAddr = "x:1"
			c.CircuitFailures, c.CircuitCoolDown = -1, -time.Second
		}, []string{"circuit failures", "circuit cool-down"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tc.edit(&cfg)
			err := cfg.Validate()
			if len(tc.wantErr) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate: nil, want errors about %q", tc.wantErr)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate: %v; want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestWithDefaultsKeepsQueueZero(t *testing.T) {
	cfg := Config{Queue: 0, Limits: limitsWithRows(10)}.withDefaults()
	if got, want := cfg.Queue, 0; got != want {
		t.Errorf("Queue %d, want %d: zero means no queue, not the default", got, want)
	}
	if got, want := cfg.Threads, DefaultThreads; got != want {
		t.Errorf("Threads %d, want %d", got, want)
	}
	if cfg.Limits.MaxRows != 10 || cfg.Limits.MaxBytes == 0 {
		t.Errorf("Limits %+v: want MaxRows kept and MaxBytes defaulted", cfg.Limits)
	}
	if !strings.Contains(cfg.DataDir, DefaultInstance) {
		t.Errorf("DataDir %q: want one per instance", cfg.DataDir)
	}
}

func limitsWithRows(n int) dataset.Limits { return dataset.Limits{MaxRows: n} }
