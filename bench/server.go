package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// Paths of the bench server.
const (
	pathHello = "/"       // trivial handler: a short text body
	pathLogin = "/login"  // sets a session cookie, for the harness's users
	pathFixed = "/fixed"  // sleeps ?ms= milliseconds
	pathMix   = "/mix"    // every 10th request sleeps ?slow=, the others ?fast=
	pathStall = "/stall"  // answers at once except during one stall window
	pathTruth = "/_truth" // exact percentiles of the handler times since /_reset
	pathReset = "/_reset" // forgets the handler times, and re-arms the stall
)

// maxTimings bounds the handler times the server keeps for exact
// percentiles: the accuracy runs send a few thousand requests; a bound
// keeps a mistaken long run from growing without end.
const maxTimings = 4 << 20

// benchServer is the handlers' state: the request counter of the mixture,
// the stall window and the handler times of the latency runs.
type benchServer struct {
	n atomic.Uint64

	mu      sync.Mutex
	timings []time.Duration
	// stallAt is when the stall window opens, set by the first /stall
	// request after a reset; zero until then.
	stallAt time.Time
}

// stallDelay and stallLength place the open model's stall: it opens
// stallDelay after the first /stall request and lasts stallLength.
const (
	stallDelay  = 3 * time.Second
	stallLength = time.Second
)

// serve runs the bench server on a loopback port until its stdin closes (the
// parent exited or closed the pipe) and prints "listening ADDR" once ready.
func serve() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	s := &benchServer{}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.GET(pathHello, func(c echo.Context) error { return c.String(http.StatusOK, "hello, world\n") })
	e.GET(pathLogin, s.login)
	e.GET(pathFixed, s.timed(s.fixed))
	e.GET(pathMix, s.timed(s.mix))
	e.GET(pathStall, s.timed(s.stall))
	e.GET(pathTruth, s.truth)
	e.POST(pathReset, s.reset)
	srv := &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("listening %s\n", ln.Addr())
	go func() {
		// The parent holds our stdin: when it goes, so do we.
		_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return nil
}

// login gives the user a session cookie; its value is the request count.
func (s *benchServer) login(c echo.Context) error {
	c.SetCookie(&http.Cookie{Name: "sid", Value: strconv.FormatUint(s.n.Add(1), 10), Path: "/"})
	return c.String(http.StatusOK, "welcome\n")
}

// timed records how long h took, from the handler's own clock: the truth the
// harness's percentiles are compared with.
func (s *benchServer) timed(h echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := h(c)
		d := time.Since(start)
		s.mu.Lock()
		if len(s.timings) < maxTimings {
			s.timings = append(s.timings, d)
		}
		s.mu.Unlock()
		return err
	}
}

// msParam reads a duration in milliseconds from the query.
func msParam(c echo.Context, name string, def time.Duration) time.Duration {
	v, err := strconv.ParseFloat(c.QueryParam(name), 64)
	if err != nil || v < 0 || v > 10_000 {
		return def
	}
	return time.Duration(v * float64(time.Millisecond))
}

func (s *benchServer) fixed(c echo.Context) error {
	time.Sleep(msParam(c, "ms", 5*time.Millisecond))
	return c.String(http.StatusOK, "ok\n")
}

// mix sleeps slow on every 10th request and fast on the others: exactly 10%
// of the requests are slow, whatever order they come in.
func (s *benchServer) mix(c echo.Context) error {
	d := msParam(c, "fast", 5*time.Millisecond)
	if s.n.Add(1)%10 == 0 {
		d = msParam(c, "slow", 200*time.Millisecond)
	}
	time.Sleep(d)
	return c.String(http.StatusOK, "ok\n")
}

// stall answers at once, except that a request arriving inside the stall
// window waits until the window closes: the server froze for a second.
func (s *benchServer) stall(c echo.Context) error {
	now := time.Now()
	s.mu.Lock()
	if s.stallAt.IsZero() {
		s.stallAt = now.Add(stallDelay)
	}
	at := s.stallAt
	s.mu.Unlock()
	if end := at.Add(stallLength); !now.Before(at) && now.Before(end) {
		time.Sleep(end.Sub(now))
	}
	return c.String(http.StatusOK, "ok\n")
}

// truth answers "p50 p95 p99 count stall" where the percentiles are exact
// (nearest-rank) handler times in nanoseconds, and stall is when the stall
// window opened, in Unix nanoseconds (0 when not armed).
func (s *benchServer) truth(c echo.Context) error {
	s.mu.Lock()
	t := slices.Clone(s.timings)
	var stall int64
	if !s.stallAt.IsZero() {
		stall = s.stallAt.UnixNano()
	}
	s.mu.Unlock()
	slices.Sort(t)
	return c.String(http.StatusOK, fmt.Sprintf("%d %d %d %d %d\n",
		nearestRank(t, 50), nearestRank(t, 95), nearestRank(t, 99), len(t), stall))
}

func (s *benchServer) reset(c echo.Context) error {
	s.mu.Lock()
	s.timings = s.timings[:0]
	s.stallAt = time.Time{}
	s.mu.Unlock()
	s.n.Store(0)
	return c.NoContent(http.StatusNoContent)
}

// nearestRank is the exact q-th percentile of sorted values: the smallest
// value with at least q% of the values at or below it; 0 for none.
func nearestRank(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(float64(len(sorted))*q/100)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}
