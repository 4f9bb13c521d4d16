package target

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/redis/go-redis/v9"
)

// Server is one worker of the target: its routes, session manager, data-set
// store, thread limiter and metrics.
type Server struct {
	cfg      Config
	worker   string
	echo     *echo.Echo
	m        *metrics
	rdb      *redis.Client
	sessions *sessions
	datasets datasetStore
	lim      *limiter
	// sessionCircuit and datasetCircuit guard the Redis stores; nil for a
	// store that does not live in Redis.
	sessionCircuit *breaker
	datasetCircuit *breaker
}

// Store names, the store label of the circuit metrics.
const (
	storeSession = "session"
	storeDataset = "dataset"
)

// NewServer checks cfg and builds a Server. It does not need Redis to be up:
// a worker that starts during a Redis outage serves 503s and reports not
// ready until Redis answers, as a real one would. ctx bounds the start-up
// probe of Redis, whose failure is only logged.
func NewServer(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("target config: %w", err)
	}
	cfg = cfg.withDefaults()
	m, err := newMetrics(cfg.WorkerRestarts)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:    cfg,
		worker: strconv.Itoa(cfg.Worker),
		m:      m,
		lim:    newLimiter(cfg.Threads, cfg.Queue, cfg.QueueTimeout, m.busyThreads, m.queueDepth),
	}
	if cfg.usesRedis() {
		s.rdb = newRedisClient(cfg.RedisAddr, cfg.RedisTimeout, cfg.Threads)
		if err := ping(ctx, s.rdb, cfg.RedisTimeout); err != nil {
			cfg.Logf("redis not answering at start-up (serving anyway): %v", err)
		}
	}
	s.sessionCircuit = s.newCircuit(storeSession, cfg.SessionStore == SessionStoreRedis)
	s.datasetCircuit = s.newCircuit(storeDataset, cfg.DatasetStore == DatasetStoreRedis)
	for _, c := range []struct {
		store string
		b     *breaker
	}{{storeSession, s.sessionCircuit}, {storeDataset, s.datasetCircuit}} {
		if err := m.watchCircuit(c.store, c.b); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	s.sessions = newSessions(cfg, s.rdb, m, s.sessionCircuit)
	switch cfg.DatasetStore {
	case DatasetStoreRedis:
		s.datasets = &circuitDatasets{
			inner:   &redisDatasets{rdb: s.rdb, ttl: cfg.Lifetime, timeout: cfg.RedisTimeout, m: m},
			circuit: s.datasetCircuit,
		}
	case DatasetStoreSession:
		s.datasets = &sessionDatasets{sessions: s.sessions, max: cfg.MaxSessionBytes, m: m}
	case DatasetStoreFile:
		fd, err := newFileDatasets(cfg.DataDir, m)
		if err != nil {
			_ = s.Close()
			return nil, err
		}
		s.datasets = fd
	}
	s.echo = s.routes()
	return s, nil
}

// newCircuit returns the breaker of store, or nil when guarded is false: a
// store in process memory or on local disk has no outage to ride out.
func (s *Server) newCircuit(store string, guarded bool) *breaker {
	if !guarded {
		return nil
	}
	logf := s.cfg.Logf
	return newBreaker(s.cfg.CircuitFailures, s.cfg.CircuitCoolDown, nil,
		s.m.circuitRejections.WithLabelValues(store),
		func(from, to circuitState) { logf("circuit %s: %s -> %s", store, from, to) })
}

// Handler returns the Server's HTTP handler (the Echo instance).
func (s *Server) Handler() http.Handler { return s.echo }

// Serve answers requests on ln until ctx ends, then shuts down gracefully:
// it stops accepting, lets requests in flight finish for at most the
// shutdown timeout, and closes ln. It returns nil after a clean shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	return s.serveUntilDone(ctx, s.httpServer(ctx), ln)
}

// ServeMetrics answers GET /metrics, and nothing else, on ln until ctx
// ends, then shuts down like Serve. It is the worker's own metrics endpoint,
// for a Prometheus that scrapes every worker as a target of its own (see
// prefork.Config.OwnAddr); /metrics on the main listener stays as it was.
// Scrapes here are not requests of the service: they bypass the observer
// and the thread limiter, so a Prometheus scraping every second moves none
// of the counters a gate reads (target_requests_total, requests in flight)
// and a worker whose threads are all busy still reports.
func (s *Server) ServeMetrics(ctx context.Context, ln net.Listener) error {
	metrics := s.m.handler()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(headerInstance, s.cfg.Instance)
		w.Header().Set(headerWorker, s.worker)
		metrics.ServeHTTP(w, r)
	})
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       90 * time.Second,
		ErrorLog:          log.New(logfWriter(s.cfg.Logf), "metrics ", 0),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	return s.serveUntilDone(ctx, srv, ln)
}

// serveUntilDone runs srv on ln until ctx ends, then shuts it down within
// the shutdown timeout; nil after a clean shutdown.
func (s *Server) serveUntilDone(ctx context.Context, srv *http.Server, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(shutdown)
	if err != nil {
		err = errors.Join(fmt.Errorf("shutdown: %w", err), srv.Close())
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, fmt.Errorf("serve: %w", serr))
	}
	return err
}

// MaxHeaderBytes bounds a request's header block (request line, headers and
// cookies): a browser's stay far below, and a larger one is answered 431 by
// net/http before any handler runs.
const MaxHeaderBytes = 64 << 10

// httpServer is the connection side of Serve. Headers must arrive within the
// request timeout, so a client dribbling a header a second cannot hold a
// connection open; bodies are cut off at each request's deadline by the
// deadline middleware, and the connection-wide ReadTimeout is only a
// backstop for the routes that do not have one.
func (s *Server) httpServer(ctx context.Context) *http.Server {
	return &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: s.cfg.RequestTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ReadTimeout:       2*s.cfg.RequestTimeout + 10*time.Second,
		WriteTimeout:      2*s.cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       90 * time.Second,
		ErrorLog:          log.New(logfWriter(s.cfg.Logf), "", 0),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
}

// Close releases the Redis client. Call it after Serve has returned.
func (s *Server) Close() error {
	if s.rdb != nil {
		if err := s.rdb.Close(); err != nil {
			return fmt.Errorf("close redis: %w", err)
		}
	}
	return nil
}

// logfWriter adapts Logf to the io.Writer that log.Logger wants, so the
// http.Server's own complaints (TLS handshakes, panics) are not lost.
type logfWriter func(string, ...any)

func (f logfWriter) Write(b []byte) (int, error) {
	f("http: %s", bytes.TrimRight(b, "\n"))
	return len(b), nil
}
