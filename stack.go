package loadharness

import (
	"fmt"
	"time"
)

// Session stores of the target: where a user's session lives.
const (
	// SessionStoreRedis keeps sessions in the shared Redis: the seed's plan.
	SessionStoreRedis = "redis"
	// SessionStoreMemory keeps sessions in one worker process's memory: the
	// seed's "before" shape, which loses sessions across workers and instances.
	SessionStoreMemory = "memory"
)

// Data-set stores of the target: where an uploaded data set lives.
const (
	// DatasetStoreRedis keeps the data set under its own Redis key and only its
	// id in the session: the plan's right answer.
	DatasetStoreRedis = "redis"
	// DatasetStoreSession serializes the whole data set into the session: the
	// plan's option A.
	DatasetStoreSession = "session"
	// DatasetStoreFile writes the data set to the instance's local disk: the
	// plan's option B, lost on any other instance.
	DatasetStoreFile = "file"
)

// StackShape is what a provider brings up: Redis, Instances copies of the
// target with Workers processes of Threads concurrent requests each, and a
// balancer in front.
type StackShape struct {
	Instances    int    `json:"instances" yaml:"instances"`
	Workers      int    `json:"workers" yaml:"workers"`
	Threads      int    `json:"threads" yaml:"threads"`
	SessionStore string `json:"session_store" yaml:"session_store"`
	DatasetStore string `json:"dataset_store" yaml:"dataset_store"`
	// Queue is how many requests may wait for a thread in each worker before
	// the worker answers 503; 0 means the target's default.
	Queue int `json:"queue,omitempty" yaml:"queue"`
	// MapCost multiplies the CPU work of rendering a map; 0 means the default.
	MapCost int `json:"map_cost,omitempty" yaml:"map_cost"`
	// RedisPersistence is "none" (default) or "aof" (append-only file).
	RedisPersistence string `json:"redis_persistence,omitempty" yaml:"redis_persistence"`
	// RequestTimeout bounds each request inside the target; 0 means its default.
	RequestTimeout time.Duration `json:"request_timeout,omitempty" yaml:"request_timeout"`
	// Prometheus brings up a real Prometheus beside the stack that scrapes
	// every target worker; PromQL gates and the target's counters are then
	// read from it.
	Prometheus bool `json:"prometheus,omitempty" yaml:"prometheus"`
	// Balancer is the balancer in front of the instances: BalancerBuiltin
	// (`target lb`, the default when empty) or BalancerHAProxy.
	Balancer string `json:"balancer,omitempty" yaml:"balancer"`
}

// Balancers a stack can put in front of its instances.
const (
	// BalancerBuiltin is `target lb`, the reference target's own balancer.
	BalancerBuiltin = "builtin"
	// BalancerHAProxy is a real HAProxy with the same health-check
	// semantics.
	BalancerHAProxy = "haproxy"
)

// BalancerName is the shape's balancer, BalancerBuiltin when unset.
func (s StackShape) BalancerName() string {
	if s.Balancer == "" {
		return BalancerBuiltin
	}
	return s.Balancer
}

// DefaultStackShape is the seed's target architecture at the size this
// machine can hold: 3 instances × 4 workers, sessions and data sets in Redis.
var DefaultStackShape = StackShape{
	Instances:    3,
	Workers:      4,
	Threads:      8,
	SessionStore: SessionStoreRedis,
	DatasetStore: DatasetStoreRedis,
}

// Validate returns every problem with the shape at once, one error each.
func (s StackShape) Validate() []error {
	var errs []error
	if s.Instances < 1 || s.Instances > 64 {
		errs = append(errs, fmt.Errorf("instances must be 1..64, not %d", s.Instances))
	}
	if s.Workers < 1 || s.Workers > 64 {
		errs = append(errs, fmt.Errorf("workers must be 1..64, not %d", s.Workers))
	}
	if s.Threads < 1 || s.Threads > 4096 {
		errs = append(errs, fmt.Errorf("threads must be 1..4096, not %d", s.Threads))
	}
	if s.Queue < 0 {
		errs = append(errs, fmt.Errorf("queue must not be negative, not %d", s.Queue))
	}
	switch s.SessionStore {
	case SessionStoreRedis, SessionStoreMemory:
	default:
		errs = append(errs, fmt.Errorf("session_store must be %q or %q, not %q", SessionStoreRedis, SessionStoreMemory, s.SessionStore))
	}
	switch s.DatasetStore {
	case DatasetStoreRedis, DatasetStoreSession, DatasetStoreFile:
	default:
		errs = append(errs, fmt.Errorf("dataset_store must be %q, %q or %q, not %q", DatasetStoreRedis, DatasetStoreSession, DatasetStoreFile, s.DatasetStore))
	}
	switch s.Balancer {
	case "", BalancerBuiltin, BalancerHAProxy:
	default:
		errs = append(errs, fmt.Errorf("balancer must be %q or %q, not %q", BalancerBuiltin, BalancerHAProxy, s.Balancer))
	}
	switch s.RedisPersistence {
	case "", "none", "aof":
	default:
		errs = append(errs, fmt.Errorf("redis_persistence must be \"none\" or \"aof\", not %q", s.RedisPersistence))
	}
	return errs
}
