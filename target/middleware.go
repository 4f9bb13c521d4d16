package target

import (
	"context"
	"errors"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
)

// routeUnmatched labels requests no route matched, so that scanners probing
// random paths cannot blow up the metrics' cardinality.
const routeUnmatched = "unmatched"

// observe is the outermost middleware: it names the instance and worker on
// every response (errors included), counts requests in flight, and records
// each request's route, status and duration once the answer is written.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set(headerInstance, s.cfg.Instance)
		h.Set(headerWorker, s.worker)
		// A scrape of /metrics must not count itself: every worker would
		// report one request in flight forever.
		if c.Request().URL.Path != "/metrics" {
			s.m.inFlight.Inc()
			defer s.m.inFlight.Dec()
		}
		start := time.Now()
		if err := s.recoverPanic(next, c); err != nil {
			// Answer now rather than after we return, so the status is known.
			c.Error(err)
		}
		route := c.Path()
		if route == "" || route == "/*" {
			route = routeUnmatched
		}
		s.m.requests.WithLabelValues(route, strconv.Itoa(c.Response().Status)).Inc()
		s.m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
		return nil
	}
}

// recoverPanic runs next and turns a panic into a 500 for this request
// alone, as Gunicorn would answer for a crashing view, so that one bad
// request never takes its neighbours' connections down with it.
// http.ErrAbortHandler keeps its meaning: abort the response silently.
func (s *Server) recoverPanic(next echo.HandlerFunc, c echo.Context) (err error) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if r == http.ErrAbortHandler {
			panic(r)
		}
		s.cfg.Logf("panic serving %s %s: %v\n%s", c.Request().Method, c.Request().URL.Path, r, debug.Stack())
		err = echo.NewHTTPError(http.StatusInternalServerError, "internal error")
	}()
	return next(c)
}

// deadline bounds the whole request, queueing included, by the request
// timeout; handlers and Redis calls below inherit it, and so does the
// reading of the body.
func (s *Server) deadline(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), s.cfg.RequestTimeout)
		defer cancel()
		if d, ok := ctx.Deadline(); ok {
			limitBodyRead(c, d)
		}
		c.SetRequest(c.Request().WithContext(ctx))
		return next(c)
	}
}

// limit holds each request to one of the worker's threads, or refuses it.
func (s *Server) limit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := s.lim.acquire(c.Request().Context()); err != nil {
			if errors.Is(err, errOverloaded) {
				s.m.overload.Inc()
				return writeError(c, http.StatusServiceUnavailable, errOverloadedMsg)
			}
			return writeError(c, http.StatusServiceUnavailable, errTimedOut)
		}
		defer s.lim.release()
		return next(c)
	}
}
