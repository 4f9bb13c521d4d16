package harness

import (
	"sync"
	"time"
)

// seriesKey names one series of the target's metrics: the endpoint
// scraped, the worker process that answered, the metric and its labels.
// Increases are taken series by series, as Prometheus's increase() does, so
// that one worker's restart or one instance's death loses nothing of the
// others' counts.
type seriesKey struct {
	endpoint, worker, name, labels string
	// counter is false for gauges, whose change is last minus first.
	counter bool
}

// counterIncrease folds successive readings of the target's metrics over
// one window (a scenario) into what rose in it, per series:
//   - a counter lower than its previous reading was reset (its worker
//     restarted) and counts from zero;
//   - a series that stops answering (its instance was killed) keeps what it
//     rose by up to its last reading;
//   - a series first seen after the window started (an added instance, a
//     restarted worker) counts from zero.
//
// Readings are applied in the order they were taken: one taken before the
// newest applied one is ignored, so a slow periodic scrape cannot make a
// counter look reset.
type counterIncrease struct {
	mu      sync.Mutex
	started bool
	at      time.Time
	first   map[seriesKey]float64
	last    map[seriesKey]float64
	rise    map[seriesKey]float64
	resets  map[string]int // by metric name
	workers int
	missed  []string
}

// newCounterIncrease starts a window at the reading base.
func newCounterIncrease(base TargetMetrics) *counterIncrease {
	c := &counterIncrease{first: map[seriesKey]float64{}, last: map[seriesKey]float64{}, rise: map[seriesKey]float64{}, resets: map[string]int{}}
	c.observe(base)
	return c
}

// observe applies one reading.
func (c *counterIncrease) observe(m TargetMetrics) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.started && m.At.Before(c.at) {
		return
	}
	for k, v := range m.Series {
		prev, seen := c.last[k]
		switch {
		case !seen:
			c.first[k] = v
			if c.started && k.counter {
				c.rise[k] += v // born inside the window
			}
		case !k.counter:
		case v >= prev:
			c.rise[k] += v - prev
		default:
			c.rise[k] += v // reset: counted again from zero
			c.resets[k.name]++
		}
		c.last[k] = v
	}
	c.started, c.at = true, m.At
	c.workers, c.missed = m.Workers, m.Missed
}

// result sums the series' increases by metric name.
func (c *counterIncrease) result() TargetMetrics {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := TargetMetrics{Values: map[string]float64{}, Workers: c.workers, Missed: c.missed, At: c.at, Resets: map[string]int{}}
	for name, n := range c.resets {
		out.Resets[name] = n
	}
	for k, last := range c.last {
		if k.counter {
			out.Values[k.name] += c.rise[k]
		} else {
			out.Values[k.name] += last - c.first[k]
		}
	}
	return out
}
