package harness

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"loadharness"
	"loadharness/harness/stack"
	"loadharness/scenarios/suite"
)

// countingInstances is a target of two instances that counts every request
// it serves in app_requests_total, each instance its own series, and keeps
// the true total apart. Instance 1's counter is reset (its worker
// restarted) right after the first scrape past resetAfter; instance 2 is
// killed right after the first scrape past killAfter: it answers no scrape
// and serves no request after that. Written from "counters have
// increase() semantics per series", not from the harness.
type countingInstances struct {
	mu                    sync.Mutex
	start                 time.Time
	resetAfter, killAfter time.Duration
	count                 [2]float64
	reset, killed         bool
	served                int
	next                  int
}

func (c *countingInstances) serve(w http.ResponseWriter, r *http.Request) {
	c.mu.Lock()
	i := c.next % 2
	if c.killed {
		i = 0
	}
	c.next++
	c.count[i]++
	c.served++
	c.mu.Unlock()
	w.Write([]byte("ok"))
}

func (c *countingInstances) metrics(i int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		defer c.mu.Unlock()
		if i == 1 && c.killed {
			http.Error(w, "gone", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "# TYPE app_requests_total counter\napp_requests_total{path=\"/x\"} %g\n", c.count[i])
		since := time.Since(c.start)
		switch {
		case i == 0 && !c.reset && since > c.resetAfter:
			c.reset, c.count[0] = true, 0
		case i == 1 && since > c.killAfter:
			c.killed = true
		}
	}
}

// countingStack is a stack.Stack over countingInstances.
type countingStack struct {
	load    *httptest.Server
	metrics [2]*httptest.Server
}

func (s *countingStack) URL() string           { return s.load.URL }
func (s *countingStack) Info() stack.Info      { return stack.Info{Provider: "test"} }
func (s *countingStack) MetricsURLs() []string { return []string{s.metrics[0].URL, s.metrics[1].URL} }
func (s *countingStack) Act(context.Context, loadharness.ActionKind, int) (loadharness.Event, error) {
	return loadharness.Event{}, stack.ErrUnsupportedAction
}
func (s *countingStack) Close(context.Context) error { return nil }

// TestCounterResetAndKilledInstance: the counter gate equals what the
// target served, although one instance's counter was reset mid-run and the
// other instance died before the run's last scrape.
func TestCounterResetAndKilledInstance(t *testing.T) {
	c := &countingInstances{start: time.Now(), resetAfter: 1200 * time.Millisecond, killAfter: 1800 * time.Millisecond}
	st := &countingStack{load: httptest.NewServer(http.HandlerFunc(c.serve))}
	for i := range st.metrics {
		st.metrics[i] = httptest.NewServer(c.metrics(i))
	}
	defer func() {
		st.load.Close()
		st.metrics[0].Close()
		st.metrics[1].Close()
	}()
	s, err := suite.Parse("counters.yaml", []byte(`name: counters
stack: {instances: 2, workers: 1}
gates: ["target:app_requests_total == 0"]
abort: off
scenarios:
  - name: count
    users: 4
    rate: 50/s
    duration: 3s
    steps:
      - {name: x, path: /x}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c.mu.Lock()
	c.start = time.Now()
	c.mu.Unlock()
	res, err := Run(ctx, s, st, WithTargetSamples(250*time.Millisecond))
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	g := res.Summary.Gates[0]
	c.mu.Lock()
	served, reset, killed := c.served, c.reset, c.killed
	c.mu.Unlock()
	t.Logf("%s; the target served %d (reset %v, killed %v)", g.Display, served, reset, killed)
	if !reset || !killed {
		t.Fatalf("the run did not see the reset (%v) and the kill (%v)", reset, killed)
	}
	if g.Missing || int(g.Measured) != served {
		t.Errorf("app_requests_total rose by %v (missing %v), want the %d requests served", g.Measured, g.Missing, served)
	}
}

func TestCounterIncrease(t *testing.T) {
	at := time.Unix(1_700_000_000, 0)
	counter := func(endpoint string) seriesKey {
		return seriesKey{endpoint: endpoint, name: "c", counter: true}
	}
	gauge := seriesKey{endpoint: "a", name: "g"}
	reading := func(sec int, series map[seriesKey]float64) TargetMetrics {
		return TargetMetrics{At: at.Add(time.Duration(sec) * time.Second), Series: series, Workers: 1}
	}
	tests := []struct {
		name     string
		readings []TargetMetrics
		metric   string
		want     float64
	}{
		{"plain rise", []TargetMetrics{reading(0, map[seriesKey]float64{counter("a"): 10}), reading(1, map[seriesKey]float64{counter("a"): 25})}, "c", 15},
		{"reset counts from zero", []TargetMetrics{
			reading(0, map[seriesKey]float64{counter("a"): 10}), reading(1, map[seriesKey]float64{counter("a"): 30}),
			reading(2, map[seriesKey]float64{counter("a"): 5})}, "c", 25},
		{"a vanished series keeps its rise", []TargetMetrics{
			reading(0, map[seriesKey]float64{counter("a"): 1, counter("b"): 1}), reading(1, map[seriesKey]float64{counter("a"): 2, counter("b"): 7}),
			reading(2, map[seriesKey]float64{counter("a"): 3})}, "c", 8},
		{"a series born in the window counts from zero", []TargetMetrics{
			reading(0, map[seriesKey]float64{counter("a"): 1}), reading(1, map[seriesKey]float64{counter("a"): 1, counter("b"): 4})}, "c", 4},
		{"an older reading applied late is ignored", []TargetMetrics{
			reading(0, map[seriesKey]float64{counter("a"): 0}), reading(2, map[seriesKey]float64{counter("a"): 20}),
			reading(1, map[seriesKey]float64{counter("a"): 10})}, "c", 20},
		{"a gauge is last minus first", []TargetMetrics{
			reading(0, map[seriesKey]float64{gauge: 10}), reading(1, map[seriesKey]float64{gauge: 3})}, "g", -7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCounterIncrease(tt.readings[0])
			for _, r := range tt.readings[1:] {
				c.observe(r)
			}
			if got := c.result().Values[tt.metric]; got != tt.want {
				t.Errorf("increase of %s = %v, want %v", tt.metric, got, tt.want)
			}
		})
	}
}
