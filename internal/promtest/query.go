package promtest

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"

	"loadharness/harness/stack"
)

// pollEvery is how often the Wait functions ask again: a fraction of a
// scrape interval.
const pollEvery = 200 * time.Millisecond

// Query runs the instant query q now on the Prometheus at url and returns
// its vector. A query that fails, or answers anything but a vector, fails
// the test; warnings are logged.
func Query(tb testing.TB, url, q string) model.Vector {
	tb.Helper()
	client, err := api.NewClient(api.Config{Address: url})
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	v, warnings, _, err := promv1.NewAPI(client).Query(ctx, q, time.Now())
	if err != nil {
		tb.Fatalf("query %s: %v", q, err)
	}
	if len(warnings) > 0 {
		tb.Logf("query %s: warnings %v", q, warnings)
	}
	vec, ok := v.(model.Vector)
	if !ok {
		tb.Fatalf("query %s: a %s, want a vector", q, v.Type())
	}
	return vec
}

// Scalar is the value of the query q that yields one sample, -1 when it
// yields none; more than one fails the test.
func Scalar(tb testing.TB, url, q string) float64 {
	tb.Helper()
	vec := Query(tb, url, q)
	switch len(vec) {
	case 0:
		return -1
	case 1:
		return float64(vec[0].Value)
	}
	tb.Fatalf("query %s: %d samples, want one or none: %v", q, len(vec), vec)
	return 0
}

// WaitScalar polls Scalar(q) until it equals want (-1: no sample), within
// timeout; otherwise it fails the test with the last value.
func WaitScalar(tb testing.TB, url, q string, want float64, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		got := Scalar(tb, url, q)
		if got == want {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s = %v after %s, want %v", q, got, timeout, want)
		}
		time.Sleep(pollEvery)
	}
}

// WaitInstanceDropped polls the targets of stack.PrometheusJob until
// Prometheus has dropped every one of instance (an instance removed from
// a stack) and scrapes total targets in all, within timeout; otherwise it
// fails the test with what Prometheus still scrapes.
func WaitInstanceDropped(tb testing.TB, url, instance string, total int, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		targets, err := stack.PrometheusTargets(context.Background(), url)
		if err != nil {
			tb.Fatal(err)
		}
		left := 0
		for _, tg := range targets {
			if tg.Instance == instance {
				left++
			}
		}
		if left == 0 && len(targets) == total {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s after %s was removed, Prometheus still has %d of its targets (%d in all, want %d): %+v",
				timeout, instance, left, len(targets), total, targets)
		}
		time.Sleep(pollEvery)
	}
}
