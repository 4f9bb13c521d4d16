package harness

import (
	"fmt"
	"io"
	"time"

	"loadharness"
	"loadharness/reports/aggregate"
	"loadharness/scenarios/suite"
)

// startProgress prints a line a second about the running scenario until the
// returned stop is called. On a terminal (live) the line is redrawn in
// place; elsewhere (CI logs) each second is its own line.
func startProgress(w io.Writer, live bool, agg *aggregate.Aggregate, sc *suite.Scenario) (stop func()) {
	if w == nil {
		return func() {}
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	started := time.Now()
	total := sc.Warmup + sc.Duration
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		for {
			select {
			case <-done:
				if live {
					fmt.Fprintln(w)
				}
				return
			case <-tick.C:
				line := progressLine(agg.Snapshot(loadharness.Scope{Scenario: sc.Name}), sc.Name, time.Since(started), total)
				if live {
					fmt.Fprintf(w, "\r\033[K%s", line)
				} else {
					fmt.Fprintln(w, line)
				}
			}
		}
	}()
	return func() { close(done); <-finished }
}

func progressLine(s aggregate.Stats, name string, elapsed, total time.Duration) string {
	errRate := 0.0
	if s.Requests > 0 {
		errRate = 100 * float64(s.Failed) / float64(s.Requests)
	}
	return fmt.Sprintf("%-12s %3.0fs/%.0fs  requests %-7d %7.1f/s  p95 %7.1fms  errors %5.2f%%  sessions lost %d/%d",
		name, elapsed.Seconds(), total.Seconds(), s.Requests, s.Throughput, s.Latency.P95, errRate, s.SessionsLost, s.SessionsChecked)
}
