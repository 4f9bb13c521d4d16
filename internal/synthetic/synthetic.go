// Package synthetic makes the results of a made-up run, the same for the
// same seed, so that the aggregate's benchmarks and tests and `make bench`
// measure one and the same workload.
package synthetic

import (
	"math"
	"math/rand/v2"
	"time"

	"loadharness"
)

// Order says when, within the run's window, each result was sent.
type Order uint8

const (
	// Shuffled sends each result at a random moment of the window: the
	// worst case for per-second buckets, which are reached in any order.
	Shuffled Order = iota
	// InOrder spreads the results evenly over the window, each a few
	// milliseconds off its slot, as requests of many users interleave in a
	// real run.
	InOrder
)

// The run: two scenarios of three steps, on three instances.
var (
	scenarioNames = [...]string{"browse", "failover"}
	stepNames     = [...]string{"upload", "map", "download"}
	instanceNames = [...]string{"instance-1", "instance-2", "instance-3"}
)

// Generator makes the results one at a time, without keeping them: 500
// users, log-normal latencies around 50ms with a 1% tail near 2s, 0.5% of
// 503s, and the sessions of every 97th user lost.
type Generator struct {
	rng    *rand.Rand
	start  time.Time
	window time.Duration
	order  Order
	n, i   int
}

// New returns a generator of n results sent from start over window.
func New(seed uint64, start time.Time, window time.Duration, n int, order Order) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, 42)), start: start, window: window, order: order, n: max(n, 1)}
}

// Next fills r with the next result.
func (g *Generator) Next(r *loadharness.Result) {
	rng := g.rng
	latency := time.Duration(math.Exp(math.Log(50e6) + 0.5*rng.NormFloat64()))
	if rng.IntN(100) == 0 {
		latency = 2*time.Second + time.Duration(rng.IntN(500))*time.Millisecond
	}
	var sent time.Time
	switch g.order {
	case InOrder:
		slot := time.Duration(float64(g.window) * float64(g.i) / float64(g.n))
		sent = g.start.Add(slot + time.Duration(rng.IntN(5_000_000)))
	default:
		sent = g.start.Add(time.Duration(rng.Int64N(int64(g.window))))
	}
	*r = loadharness.Result{
		Scenario: scenarioNames[g.i%2],
		Step:     stepNames[(g.i/2)%3],
		Method:   "GET",
		URL:      "http://127.0.0.1:8080/map",
		User:     uint32(1 + rng.IntN(500)),
		Seq:      uint64(g.i),
		Intended: sent.Add(-time.Duration(rng.IntN(5)) * time.Millisecond),
		Sent:     sent,
		Latency:  latency,
		Code:     200,
		BytesIn:  512,
		BytesOut: 4096,
		Instance: instanceNames[rng.IntN(3)],
		Session:  loadharness.SessionKept,
	}
	if rng.IntN(200) == 0 {
		r.Code, r.Error = 503, "503 Service Unavailable"
	}
	if r.User%97 == 0 {
		r.Session, r.CheckFailure = loadharness.SessionLost, "dataset belongs to another user"
	}
	g.i++
}

// Results returns n results of a Shuffled run of window from start.
func Results(seed uint64, start time.Time, window time.Duration, n int) []loadharness.Result {
	g := New(seed, start, window, n, Shuffled)
	out := make([]loadharness.Result, n)
	for i := range out {
		g.Next(&out[i])
	}
	return out
}
