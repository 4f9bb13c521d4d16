package promout

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/prompb"
)

// The writer's knobs and their defaults.
const (
	// DefaultInterval is how often the metrics are gathered and queued for
	// the receiver: a dashboard's resolution, at a few series per step.
	DefaultInterval = 5 * time.Second
	// DefaultSendTimeout bounds one send, its retries included.
	DefaultSendTimeout = 5 * time.Second
	// DefaultQueueSize is how many gathered batches may wait for the
	// receiver; past it the oldest is dropped. Every batch holds the
	// running totals, so a dropped one costs a dashboard points, never a
	// count.
	DefaultQueueSize = 16
	// DefaultRetries is how many times a send that failed for a reason
	// worth retrying (no connection, a 5xx, a 429) is tried again, within
	// its timeout.
	DefaultRetries = 2
)

// retryBackoff is the wait before the first retry of a send, doubled up
// to retryBackoffMax: short, since a send has DefaultSendTimeout in all.
const (
	retryBackoff    = 200 * time.Millisecond
	retryBackoffMax = time.Second
)

// Option changes how a Writer pushes.
type Option func(*writerConfig)

type writerConfig struct {
	interval, sendTimeout time.Duration
	queueSize, retries    int
	logf                  func(format string, args ...any)
}

// WithInterval gathers and queues the metrics every d (DefaultInterval);
// d <= 0 keeps the default.
func WithInterval(d time.Duration) Option {
	return func(c *writerConfig) {
		if d > 0 {
			c.interval = d
		}
	}
}

// WithSendTimeout bounds each send, retries included, to d
// (DefaultSendTimeout); d <= 0 keeps the default.
func WithSendTimeout(d time.Duration) Option {
	return func(c *writerConfig) {
		if d > 0 {
			c.sendTimeout = d
		}
	}
}

// WithQueueSize keeps at most n batches waiting for the receiver
// (DefaultQueueSize); n < 1 keeps the default.
func WithQueueSize(n int) Option {
	return func(c *writerConfig) {
		if n >= 1 {
			c.queueSize = n
		}
	}
}

// WithRetries retries a failed send up to n times within its timeout
// (DefaultRetries). n < 1 counts as 1: the remote-write client reads 0 as
// retrying for ever.
func WithRetries(n int) Option {
	return func(c *writerConfig) { c.retries = max(n, 1) }
}

// WithLogf says through logf when sends start failing and when they
// recover, once each time, not once a send.
func WithLogf(logf func(format string, args ...any)) Option {
	return func(c *writerConfig) {
		if logf != nil {
			c.logf = logf
		}
	}
}

// CheckURL checks a remote-write URL before anything starts: http or
// https, a host, and the receiver's path (Prometheus's is /api/v1/write),
// which the protocol does not imply.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Fragment != "" {
		return fmt.Errorf("remote write URL %q: want an http:// or https:// URL with a host", redact(raw))
	}
	if u.Path == "" || u.Path == "/" {
		return fmt.Errorf("remote write URL %q: name the receiver's path, for Prometheus %s/api/v1/write", redact(raw), u.Redacted())
	}
	return nil
}

// redact hides the password of a URL that parses; text that does not parse
// is shown as given, since it names no credentials a URL could carry.
func redact(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return u.Redacted()
	}
	return raw
}

// Writer pushes a registry's metrics to a remote-write receiver (protocol
// 1.0, which Prometheus receives with --web.enable-remote-write-receiver)
// without ever holding up the run: one goroutine gathers every interval
// into a bounded queue (dropping the oldest batch when it is full), another
// sends the queue in order, each send bounded in time and retries. What
// never reached the receiver is counted, in samples, in Stats and in the
// writer's own metrics (loadtest_remote_write_*).
type Writer struct {
	api      *remote.API
	receiver string // the URL, without its password, for messages
	gatherer prometheus.Gatherer
	cfg      writerConfig
	health   *writerHealth

	// ctx ends the send in flight when Close runs out of time.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.Mutex
	queue   []batch // oldest first, at most cfg.queueSize
	closing bool    // Close has queued the final batch: send it and stop
	failing bool    // the last send failed
	lastErr error
	wake    chan struct{} // a batch was queued, or Close began

	stopGather chan struct{}
	gatherDone chan struct{}
	sendDone   chan struct{}
	closeOnce  sync.Once
	stats      Stats
	// lastStamp is the time of the last batch, to the millisecond.
	lastStamp time.Time
}

// batch is one gather: a request and how many samples it holds.
type batch struct {
	req     *prompb.WriteRequest
	samples uint64
}

// Stats say what became of the samples a Writer gathered: every one was
// sent or dropped once Close has returned.
type Stats struct {
	// Receiver is the receiver's URL, without a password.
	Receiver string
	// Gathered, Sent and Dropped count samples; Batches counts gathers.
	Gathered, Sent, Dropped, Batches uint64
	// Failures counts sends that failed after their retries.
	Failures uint64
	// LastError is the last send's failure, "" when none failed.
	LastError string
}

// Warning is the line a run's summary carries when samples did not reach
// the receiver, "" when every one did. It never changes a verdict: it
// qualifies the receiver's copy of the run, not the run.
func (s Stats) Warning() string {
	if s.Dropped == 0 && s.Failures == 0 {
		return ""
	}
	msg := fmt.Sprintf("remote write to %s: %d of %d samples dropped, %d sends failed", s.Receiver, s.Dropped, s.Gathered, s.Failures)
	if s.LastError != "" {
		msg += " (last: " + s.LastError + ")"
	}
	return msg + "; the receiver's copy of the run is incomplete, summary.json is whole"
}

// newWriter checks rawURL and builds a writer of g's metrics; start starts
// it.
func newWriter(rawURL string, g prometheus.Gatherer, run Run, opts ...Option) (*Writer, error) {
	if err := CheckURL(rawURL); err != nil {
		return nil, err
	}
	cfg := writerConfig{
		interval: DefaultInterval, sendTimeout: DefaultSendTimeout,
		queueSize: DefaultQueueSize, retries: DefaultRetries,
		logf: func(string, ...any) {},
	}
	for _, o := range opts {
		o(&cfg)
	}
	// A client of its own, so that nothing the load does to the default
	// transport's pool touches the writer's, and the other way round.
	transport := &http.Transport{Proxy: http.ProxyFromEnvironment}
	if def, ok := http.DefaultTransport.(*http.Transport); ok {
		transport = def.Clone()
	}
	client := &http.Client{Transport: transport}
	api, err := remote.NewAPI(rawURL,
		// The URL names the receiver's path already.
		remote.WithAPIPath(""),
		remote.WithAPIHTTPClient(client),
		remote.WithAPIBackoff(remote.BackoffConfig{Min: retryBackoff, Max: retryBackoffMax, MaxRetries: cfg.retries}))
	if err != nil {
		return nil, fmt.Errorf("remote write: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &Writer{
		api: api, receiver: redact(rawURL), gatherer: g, cfg: cfg,
		ctx: ctx, cancel: cancel,
		wake:       make(chan struct{}, 1),
		stopGather: make(chan struct{}),
		gatherDone: make(chan struct{}),
		sendDone:   make(chan struct{}),
	}
	w.stats.Receiver = w.receiver
	w.health = newWriterHealth(run, w)
	return w, nil
}

// start starts the writer's two goroutines.
func (w *Writer) start() {
	go w.gatherLoop()
	go w.sendLoop()
}

// stopNow releases a writer that was never started.
func (w *Writer) stopNow() { w.cancel() }

// gatherLoop queues a batch every interval until Close.
func (w *Writer) gatherLoop() {
	defer close(w.gatherDone)
	t := time.NewTicker(w.cfg.interval)
	defer t.Stop()
	for {
		select {
		case <-w.stopGather:
			return
		case <-t.C:
			w.enqueue(w.gather())
		}
	}
}

// gather reads the registry into a batch stamped now; a gather that fails
// whole is counted as a failed send, since nothing of it can be sent.
func (w *Writer) gather() (batch, bool) {
	families, err := w.gatherer.Gather()
	if err != nil && len(families) == 0 {
		w.fail(fmt.Errorf("gather: %w", err), 0)
		return batch{}, false
	}
	req, n := writeRequest(families, w.stamp(time.Now()))
	return batch{req: req, samples: uint64(n)}, n > 0
}

// stamp returns now, or a millisecond after the last batch's time when now
// is not later, to the millisecond: Prometheus refuses a second sample of a
// series at the same millisecond, and Close's final gather can follow a
// periodic one within it.
func (w *Writer) stamp(now time.Time) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	now = now.Truncate(time.Millisecond)
	if !now.After(w.lastStamp) {
		now = w.lastStamp.Add(time.Millisecond)
	}
	w.lastStamp = now
	return now
}

// enqueue adds b to the queue, dropping the oldest batch when it is full.
func (w *Writer) enqueue(b batch, ok bool) {
	if !ok {
		return
	}
	w.mu.Lock()
	w.stats.Gathered += b.samples
	w.stats.Batches++
	if len(w.queue) >= w.cfg.queueSize {
		w.stats.Dropped += w.queue[0].samples
		w.queue[0] = batch{}
		w.queue = w.queue[1:]
	}
	w.queue = append(w.queue, b)
	w.mu.Unlock()
	w.signal()
}

func (w *Writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// next waits for the oldest queued batch; false once the writer is closing
// and the queue is empty, or Close ran out of time.
func (w *Writer) next() (batch, bool) {
	for {
		w.mu.Lock()
		if w.ctx.Err() != nil {
			w.mu.Unlock()
			return batch{}, false
		}
		if len(w.queue) > 0 {
			b := w.queue[0]
			w.queue[0] = batch{}
			w.queue = w.queue[1:]
			w.mu.Unlock()
			return b, true
		}
		closing := w.closing
		w.mu.Unlock()
		if closing {
			return batch{}, false
		}
		select {
		case <-w.wake:
		case <-w.ctx.Done():
		}
	}
}

// sendLoop sends queued batches in order, so that every series' samples
// reach the receiver in time order (Prometheus refuses older ones), until
// Close.
func (w *Writer) sendLoop() {
	defer close(w.sendDone)
	for {
		b, ok := w.next()
		if !ok {
			return
		}
		w.send(b)
	}
}

// send sends b within the send timeout and counts what became of it.
func (w *Writer) send(b batch) {
	ctx, cancel := context.WithTimeout(w.ctx, w.cfg.sendTimeout)
	defer cancel()
	_, err := w.api.Write(ctx, remote.WriteV1MessageType, b.req)
	if err != nil {
		// The client's retryable errors do not unwrap: ask the context.
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("no answer within %v: %w", w.cfg.sendTimeout, err)
		}
		w.fail(err, b.samples)
		return
	}
	w.mu.Lock()
	w.stats.Sent += b.samples
	recovered := w.failing
	w.failing = false
	w.mu.Unlock()
	if recovered {
		w.cfg.logf("remote write to %s: sending again", w.receiver)
	}
}

// fail counts a failed send of samples.
func (w *Writer) fail(err error, samples uint64) {
	w.mu.Lock()
	w.stats.Failures++
	w.stats.Dropped += samples
	w.stats.LastError = err.Error()
	first := !w.failing
	w.failing = true
	w.mu.Unlock()
	if first {
		w.cfg.logf("remote write to %s failed, the run goes on and drops what it cannot send: %v", w.receiver, err)
	}
}

// Stats returns what became of the samples so far.
func (w *Writer) Stats() Stats {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stats
}

// Close stops gathering, gathers the final figures and sends them, after
// whatever is queued, within ctx, then returns what became of every sample.
// When the receiver failed last, the queued batches are dropped so that
// the final one gets the time left: it holds every total the others held.
// Whatever ctx leaves unsent is dropped and counted. Close returns within
// ctx (and the moment it takes to abort the send in flight); later calls
// return the same Stats.
func (w *Writer) Close(ctx context.Context) Stats {
	w.closeOnce.Do(func() {
		close(w.stopGather)
		<-w.gatherDone
		final, ok := w.gather()
		w.mu.Lock()
		if w.failing {
			for _, b := range w.queue {
				w.stats.Dropped += b.samples
			}
			w.queue = nil
		}
		w.mu.Unlock()
		w.enqueue(final, ok)
		w.mu.Lock()
		w.closing = true
		w.mu.Unlock()
		w.signal()
		select {
		case <-w.sendDone:
		case <-ctx.Done():
			w.cancel()
			<-w.sendDone
		}
		w.cancel()
		w.mu.Lock()
		for _, b := range w.queue {
			w.stats.Dropped += b.samples
		}
		w.queue = nil
		w.mu.Unlock()
	})
	return w.Stats()
}
