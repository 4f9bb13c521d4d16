package harness

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"loadharness"
	"loadharness/harness/stack"
	"loadharness/scenarios/suite"
)

// signalSource reads a scaling policy's signal once per evaluation; ok is
// false when it could not be read (no response arrived, no instance
// answered its scrape).
type signalSource interface {
	read(ctx context.Context) (value float64, ok bool)
}

// signalFunc adapts a function to a signalSource.
type signalFunc func(ctx context.Context) (float64, bool)

func (f signalFunc) read(ctx context.Context) (float64, bool) { return f(ctx) }

var _ signalSource = signalFunc(nil)

// instantQuerier is what a PromQL signal needs of a Prometheus
// (promql.Client.Instant).
type instantQuerier interface {
	Instant(ctx context.Context, expr string, at time.Time) ([]float64, error)
}

// newSignal returns the source of policy's signal for scenario on stack;
// prom is the run's Prometheus, nil when it has none.
func newSignal(policy suite.Autoscale, scenario string, st stack.Stack, tap *latencyTap, prom instantQuerier) signalSource {
	switch policy.Signal {
	case suite.SignalPromQL:
		return promQLSignal(prom, policy.Query)
	case suite.SignalQueueDepth:
		return queueDepthSignal(st)
	case suite.SignalCPU:
		return newCPUSignal(st)
	default:
		tap.arm(scenario)
		return signalFunc(func(context.Context) (float64, bool) { return tap.take() })
	}
}

// tapSamples bounds the latencies a tap keeps between two readings: beyond
// it a uniform reservoir sample stands for them all.
const tapSamples = 4096

// latencyTap is a sink that keeps the corrected latencies of one
// scenario's responses since the last reading, so the p95 signal describes
// the responses that arrived in the last second, as a monitoring system
// sees them, rather than per-second buckets of requests sent, whose slow
// requests are still in flight.
type latencyTap struct {
	mu       sync.Mutex
	scenario string // "" while no policy reads it
	samples  []float64
	seen     int
	rng      *rand.Rand
}

var _ loadharness.Sink = (*latencyTap)(nil)

func newLatencyTap() *latencyTap {
	return &latencyTap{samples: make([]float64, 0, tapSamples), rng: rand.New(rand.NewPCG(1, 2))}
}

// arm starts keeping scenario's latencies, dropping what was kept before.
func (t *latencyTap) arm(scenario string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.scenario, t.samples, t.seen = scenario, t.samples[:0], 0
}

// Add keeps r's corrected latency in milliseconds when r belongs to the
// armed scenario (reservoir sampling past tapSamples).
func (t *latencyTap) Add(r *loadharness.Result) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.scenario == "" || r.Scenario != t.scenario {
		return
	}
	ms := float64(r.CorrectedLatency()) / float64(time.Millisecond)
	t.seen++
	if len(t.samples) < tapSamples {
		t.samples = append(t.samples, ms)
		return
	}
	if j := t.rng.IntN(t.seen); j < tapSamples {
		t.samples[j] = ms
	}
}

// Close does nothing.
func (t *latencyTap) Close() error { return nil }

// take returns the p95 of the latencies kept since the last take and
// starts afresh; ok is false when none arrived.
func (t *latencyTap) take() (float64, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.samples) == 0 {
		return 0, false
	}
	slices.Sort(t.samples)
	// Nearest rank, as the aggregate's histograms report it.
	i := max((len(t.samples)*95+99)/100-1, 0)
	p95 := t.samples[i]
	t.samples, t.seen = t.samples[:0], 0
	return p95, true
}

// queueDepthMetric is the target's gauge of requests waiting for a thread.
const queueDepthMetric = "target_queue_depth"

// cpuMetric is the Go process collector's CPU counter of each worker.
const cpuMetric = "process_cpu_seconds_total"

// queueDepthSignal sums target_queue_depth over every instance's workers.
func queueDepthSignal(st stack.Stack) signalSource {
	scrape := newScraper(st.Info().Shape.Workers)
	return signalFunc(func(ctx context.Context) (float64, bool) {
		ctx, cancel := context.WithTimeout(ctx, suite.AutoscaleInterval)
		defer cancel()
		m := scrape.Scrape(ctx, st.MetricsURLs())
		v, ok := m.Values[queueDepthMetric]
		return v, ok && m.Workers > 0
	})
}

// cpuSignal is the CPU the target's workers used since the last reading,
// in cores per instance: the increase of process_cpu_seconds_total over
// each instance's workers divided by the time between the readings,
// averaged over the instances read twice in a row by the same number of
// workers (a worker missed by one scrape would read as a drop).
type cpuSignal struct {
	st     stack.Stack
	scrape *scraper
	last   map[string]cpuReading // by metrics URL
}

type cpuReading struct {
	at      time.Time
	seconds float64
	workers int
}

func newCPUSignal(st stack.Stack) *cpuSignal {
	return &cpuSignal{st: st, scrape: newScraper(st.Info().Shape.Workers), last: map[string]cpuReading{}}
}

func (c *cpuSignal) read(ctx context.Context) (float64, bool) {
	ctx, cancel := context.WithTimeout(ctx, suite.AutoscaleInterval)
	defer cancel()
	urls := c.st.MetricsURLs()
	next := make(map[string]cpuReading, len(urls))
	var sum float64
	n := 0
	for _, u := range urls {
		m := c.scrape.Scrape(ctx, []string{u})
		secs, ok := m.Values[cpuMetric]
		if !ok || m.Workers == 0 {
			continue
		}
		now := cpuReading{at: time.Now(), seconds: secs, workers: m.Workers}
		next[u] = now
		prev, seen := c.last[u]
		if !seen || prev.workers != now.workers || now.seconds < prev.seconds {
			continue
		}
		if dt := now.at.Sub(prev.at).Seconds(); dt > 0 {
			sum += (now.seconds - prev.seconds) / dt
			n++
		}
	}
	c.last = next
	if n == 0 {
		return 0, false
	}
	return sum / float64(n), true
}

// promQLSignal reads a policy's PromQL query at each evaluation. Several
// series give their largest value, so that one hot instance is enough to
// scale out, as a per-instance alarm would; none, a failed query or no
// Prometheus is no reading, which the policy never acts on.
func promQLSignal(prom instantQuerier, query string) signalSource {
	return signalFunc(func(ctx context.Context) (float64, bool) {
		if prom == nil {
			return 0, false
		}
		values, err := prom.Instant(ctx, query, time.Now())
		if err != nil {
			return 0, false
		}
		best, ok := 0.0, false
		for _, v := range values {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				continue
			}
			if !ok || v > best {
				best, ok = v, true
			}
		}
		return best, ok
	})
}
