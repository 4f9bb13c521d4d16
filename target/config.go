package target

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"loadharness/target/dataset"
)

// Session stores: where a user's session lives.
const (
	// SessionStoreRedis keeps sessions in the shared Redis (the plan's "after").
	SessionStoreRedis = "redis"
	// SessionStoreMemory keeps sessions in this worker's memory (the plan's
	// "before"): any other worker or instance does not know them.
	SessionStoreMemory = "memory"
)

// Data-set stores: where an uploaded data set lives.
const (
	// DatasetStoreRedis keeps the data set under its own Redis key and only its
	// id in the session (the plan's option C).
	DatasetStoreRedis = "redis"
	// DatasetStoreSession serializes the whole data set into the session (the
	// plan's option A, and the source of its serialization troubles).
	DatasetStoreSession = "session"
	// DatasetStoreFile writes the data set to the instance's local disk (the
	// plan's option B): lost on every other instance.
	DatasetStoreFile = "file"
)

// Defaults of Config; DefaultConfig returns them all at once.
const (
	// DefaultThreads is how many requests one worker serves at once, like
	// Gunicorn's --threads.
	DefaultThreads = 8
	// DefaultQueue is how many more requests may wait for a thread.
	DefaultQueue = 32
	// DefaultQueueTimeout bounds the wait for a thread.
	DefaultQueueTimeout = 2 * time.Second
	// DefaultRequestTimeout bounds a whole request inside the server.
	DefaultRequestTimeout = 5 * time.Second
	// DefaultRedisTimeout bounds every single Redis command.
	DefaultRedisTimeout = 500 * time.Millisecond
	// DefaultMaxSessionBytes is the largest session the session data-set
	// store accepts, like a cookie or session backend with a size cap.
	DefaultMaxSessionBytes = 512 << 10
	// DefaultIdleTimeout ends a session after this long without a request.
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultLifetime ends a session this long after it began, whatever happens.
	DefaultLifetime = 12 * time.Hour
	// DefaultMapCost is how many times /map classifies the values.
	DefaultMapCost = 1
	// DefaultShutdownTimeout bounds the wait for in-flight requests at shutdown.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultInstance names the instance when nothing else does.
	DefaultInstance = "target"
	// DefaultCircuitFailures is how many consecutive failed calls to a Redis
	// store open its circuit: enough that one dropped connection does not,
	// few enough that a dead Redis is noticed within one burst of requests.
	DefaultCircuitFailures = 5
	// DefaultCircuitCoolDown is how long an open circuit refuses calls
	// before it lets a probe through: the longest a worker waits to notice
	// that Redis is back.
	DefaultCircuitCoolDown = time.Second
)

// Config is everything a Server needs. Start from DefaultConfig: a zero
// duration or count where zero makes no sense is replaced by its default, but
// Queue is taken literally (0 means no request ever waits for a thread).
type Config struct {
	// Instance is sent as X-Instance on every response.
	Instance string
	// Worker is this process's worker slot (1..N), sent as X-Worker; 0 when
	// serving in-process without a supervisor.
	Worker int
	// WorkerRestarts is how many times this worker slot was restarted.
	WorkerRestarts int

	// RedisAddr is host:port of the Redis server; needed when either store is
	// redis.
	RedisAddr string
	// SessionStore is SessionStoreRedis or SessionStoreMemory.
	SessionStore string
	// DatasetStore is DatasetStoreRedis, DatasetStoreSession or DatasetStoreFile.
	DatasetStore string
	// DataDir holds the files of DatasetStoreFile; empty means a directory
	// named after Instance under os.TempDir, so that two instances on one
	// machine do not share a disk by accident.
	DataDir string

	Threads      int
	Queue        int
	QueueTimeout time.Duration
	// RequestTimeout bounds each request from arrival, queueing included.
	RequestTimeout time.Duration
	// RedisTimeout bounds each Redis command (sessions, data sets, PING).
	RedisTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown in Serve.
	ShutdownTimeout time.Duration
	// CircuitFailures consecutive failed calls to a Redis store open its
	// circuit: the store's requests then answer 503 at once, without a
	// round trip, for CircuitCoolDown, after which one probe call decides
	// whether it closes again.
	CircuitFailures int
	CircuitCoolDown time.Duration

	// MapCost repeats the map's classification work; a knob for CPU cost.
	MapCost int
	// MaxSessionBytes caps a session holding a data set (DatasetStoreSession).
	MaxSessionBytes int
	IdleTimeout     time.Duration
	Lifetime        time.Duration
	// Limits bound what an upload may contain; zero means dataset.DefaultLimits.
	Limits dataset.Limits

	// Logf receives one line per notable event (startup, store errors); nil
	// discards them.
	Logf func(format string, args ...any)
}

// DefaultConfig returns the plan's "after" shape with every default filled
// in; RedisAddr is left for the caller.
func DefaultConfig() Config {
	return Config{
		Instance:        DefaultInstance,
		SessionStore:    SessionStoreRedis,
		DatasetStore:    DatasetStoreRedis,
		Threads:         DefaultThreads,
		Queue:           DefaultQueue,
		QueueTimeout:    DefaultQueueTimeout,
		RequestTimeout:  DefaultRequestTimeout,
		RedisTimeout:    DefaultRedisTimeout,
		ShutdownTimeout: DefaultShutdownTimeout,
		CircuitFailures: DefaultCircuitFailures,
		CircuitCoolDown: DefaultCircuitCoolDown,
		MapCost:         DefaultMapCost,
		MaxSessionBytes: DefaultMaxSessionBytes,
		IdleTimeout:     DefaultIdleTimeout,
		Lifetime:        DefaultLifetime,
		Limits:          dataset.DefaultLimits,
	}
}

// withDefaults replaces the zero values that cannot be meant literally.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.Instance == "" {
		c.Instance = d.Instance
	}
	if c.SessionStore == "" {
		c.SessionStore = d.SessionStore
	}
	if c.DatasetStore == "" {
		c.DatasetStore = d.DatasetStore
	}
	if c.Threads == 0 {
		c.Threads = d.Threads
	}
	if c.QueueTimeout == 0 {
		c.QueueTimeout = d.QueueTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = d.RequestTimeout
	}
	if c.RedisTimeout == 0 {
		c.RedisTimeout = d.RedisTimeout
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = d.ShutdownTimeout
	}
	if c.CircuitFailures == 0 {
		c.CircuitFailures = d.CircuitFailures
	}
	if c.CircuitCoolDown == 0 {
		c.CircuitCoolDown = d.CircuitCoolDown
	}
	if c.MapCost == 0 {
		c.MapCost = d.MapCost
	}
	if c.MaxSessionBytes == 0 {
		c.MaxSessionBytes = d.MaxSessionBytes
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = d.IdleTimeout
	}
	if c.Lifetime == 0 {
		c.Lifetime = d.Lifetime
	}
	// Fill each limit on its own: dataset does the same, and the upload's
	// byte cap must agree with the parser's.
	if c.Limits.MaxBytes == 0 {
		c.Limits.MaxBytes = d.Limits.MaxBytes
	}
	if c.Limits.MaxRows == 0 {
		c.Limits.MaxRows = d.Limits.MaxRows
	}
	if c.Limits.MaxColumns == 0 {
		c.Limits.MaxColumns = d.Limits.MaxColumns
	}
	if c.Limits.MaxCellBytes == 0 {
		c.Limits.MaxCellBytes = d.Limits.MaxCellBytes
	}
	if c.DataDir == "" {
		c.DataDir = filepath.Join(os.TempDir(), "target-data-"+filepath.Base(c.Instance))
	}
	if c.Logf == nil {
		c.Logf = func(string, ...any) {}
	}
	return c
}

// Validate returns every problem with c at once, joined; nil when c can run.
// Zero values that withDefaults would fill in are accepted.
func (c Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.SessionStore {
	case "", SessionStoreRedis, SessionStoreMemory:
	default:
		add("session store %q: want %s or %s", c.SessionStore, SessionStoreRedis, SessionStoreMemory)
	}
	switch c.DatasetStore {
	case "", DatasetStoreRedis, DatasetStoreSession, DatasetStoreFile:
	default:
		add("dataset store %q: want %s, %s or %s", c.DatasetStore, DatasetStoreRedis, DatasetStoreSession, DatasetStoreFile)
	}
	if c.RedisAddr == "" {
		if c.SessionStore == "" || c.SessionStore == SessionStoreRedis {
			add("session store redis needs a Redis address (--redis-addr)")
		}
		if c.DatasetStore == "" || c.DatasetStore == DatasetStoreRedis {
			add("dataset store redis needs a Redis address (--redis-addr)")
		}
	}
	if c.Worker < 0 || c.WorkerRestarts < 0 {
		add("worker %d and restarts %d must not be negative", c.Worker, c.WorkerRestarts)
	}
	if c.Threads < 0 || c.Threads > 4096 {
		add("threads must be 1..4096, not %d", c.Threads)
	}
	if c.Queue < 0 || c.Queue > 1<<20 {
		add("queue must be 0..%d, not %d", 1<<20, c.Queue)
	}
	if c.MapCost < 0 || c.MapCost > 10000 {
		add("map cost must be 1..10000, not %d", c.MapCost)
	}
	if c.CircuitFailures < 0 || c.CircuitFailures > 1000 {
		add("circuit failures must be 1..1000, not %d", c.CircuitFailures)
	}
	if c.MaxSessionBytes < 0 {
		add("max session bytes must be positive, not %d", c.MaxSessionBytes)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"queue timeout", c.QueueTimeout},
		{"request timeout", c.RequestTimeout},
		{"redis timeout", c.RedisTimeout},
		{"shutdown timeout", c.ShutdownTimeout},
		{"circuit cool-down", c.CircuitCoolDown},
		{"idle timeout", c.IdleTimeout},
		{"lifetime", c.Lifetime},
	} {
		if d.v < 0 {
			add("%s must not be negative, not %s", d.name, d.v)
		}
	}
	if c.Limits.MaxBytes < 0 || c.Limits.MaxRows < 0 || c.Limits.MaxColumns < 0 || c.Limits.MaxCellBytes < 0 {
		add("upload limits must not be negative: %+v", c.Limits)
	}
	return errors.Join(errs...)
}

// usesRedis says whether either store needs the Redis client.
func (c Config) usesRedis() bool {
	return c.SessionStore == SessionStoreRedis || c.DatasetStore == DatasetStoreRedis
}
