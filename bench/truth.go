package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// serverTruth is what the bench server measured of its own handlers.
type serverTruth struct {
	p50, p95, p99 time.Duration
	count         int
	// stallAt is when the stall window opened; zero when it was not armed.
	stallAt time.Time
}

// parseTruth reads the server's /_truth answer: "p50 p95 p99 count stall".
func parseTruth(s string) (serverTruth, error) {
	f := strings.Fields(s)
	if len(f) != 5 {
		return serverTruth{}, fmt.Errorf("parse truth: %d fields in %q, want 5", len(f), s)
	}
	var n [5]int64
	for i, v := range f {
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil || x < 0 {
			return serverTruth{}, fmt.Errorf("parse truth: field %d is %q", i+1, v)
		}
		n[i] = x
	}
	t := serverTruth{p50: time.Duration(n[0]), p95: time.Duration(n[1]), p99: time.Duration(n[2]), count: int(n[3])}
	if n[4] > 0 {
		t.stallAt = time.Unix(0, n[4])
	}
	return t, nil
}

// fetchTruth asks the server for its truth.
func fetchTruth(ctx context.Context, base string) (serverTruth, error) {
	body, err := call(ctx, http.MethodGet, base+pathTruth)
	if err != nil {
		return serverTruth{}, err
	}
	return parseTruth(body)
}

// resetServer makes the server forget its timings and re-arm the stall.
func resetServer(ctx context.Context, base string) error {
	_, err := call(ctx, http.MethodPost, base+pathReset)
	return err
}

// call makes one control request to the bench server.
func call(ctx context.Context, method, url string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return "", fmt.Errorf("server control: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("server control: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	if err != nil {
		return "", fmt.Errorf("server control: %w", err)
	}
	if resp.StatusCode >= 300 {
		return "", fmt.Errorf("server control: %s: %s", resp.Status, b)
	}
	return string(b), nil
}

// stallTruth is the latency every request of an open model would have had
// with a generator that never waits: a request due at t inside the stall
// window [at, at+length) answers when the window closes, any other after
// base. It returns the q-th percentiles (nearest rank) of those latencies
// for the given due times.
func stallTruth(due []time.Time, at time.Time, length, base time.Duration, qs ...float64) []time.Duration {
	lat := make([]time.Duration, len(due))
	end := at.Add(length)
	for i, t := range due {
		lat[i] = base
		if !t.Before(at) && t.Before(end) {
			lat[i] += end.Sub(t)
		}
	}
	slices.Sort(lat)
	out := make([]time.Duration, len(qs))
	for i, q := range qs {
		out[i] = nearestRank(lat, q)
	}
	return out
}

// relErr is |got-want|/want.
func relErr(got, want time.Duration) float64 {
	if want <= 0 {
		return 0
	}
	return math.Abs(float64(got-want)) / float64(want)
}

// withinAim reports whether got is within 1% or 1 ms of want, the aim the
// issue sets for the harness's percentiles.
func withinAim(got, want time.Duration) bool {
	d := got - want
	if d < 0 {
		d = -d
	}
	return d <= time.Millisecond || relErr(got, want) <= 0.01
}
