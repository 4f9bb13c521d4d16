package target

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// errOverloaded is the limiter's refusal: no thread free, and the queue full
// or the wait too long.
var errOverloaded = errors.New("overloaded")

// upDown is the part of a Prometheus gauge the limiter needs; deltas rather
// than Set so that concurrent updates never leave a stale value behind.
type upDown interface {
	Inc()
	Dec()
}

// limiter models Gunicorn's gthread worker: a fixed number of threads serve
// requests, a bounded number wait for one for a bounded time, and everything
// beyond is refused at once instead of piling up.
type limiter struct {
	slots   chan struct{}
	queue   int64
	timeout time.Duration
	waiting atomic.Int64
	busy    upDown
	queued  upDown
}

func newLimiter(threads, queue int, timeout time.Duration, busy, queued upDown) *limiter {
	return &limiter{
		slots:   make(chan struct{}, threads),
		queue:   int64(queue),
		timeout: timeout,
		busy:    busy,
		queued:  queued,
	}
}

// acquire takes a thread, waiting in the queue if there is room. It returns
// errOverloaded when refused and ctx's error when ctx ends first; on nil the
// caller must call release exactly once.
func (l *limiter) acquire(ctx context.Context) error {
	select {
	case l.slots <- struct{}{}:
		l.busy.Inc()
		return nil
	default:
	}
	if l.waiting.Add(1) > l.queue {
		l.waiting.Add(-1)
		return errOverloaded
	}
	l.queued.Inc()
	defer func() {
		l.waiting.Add(-1)
		l.queued.Dec()
	}()
	timer := time.NewTimer(l.timeout)
	defer timer.Stop()
	select {
	case l.slots <- struct{}{}:
		l.busy.Inc()
		return nil
	case <-timer.C:
		return errOverloaded
	case <-ctx.Done():
		return ctx.Err()
	}
}

// release gives a thread back.
func (l *limiter) release() {
	<-l.slots
	l.busy.Dec()
}
