package reports_test

import (
	"sync"
	"testing"
	"time"

	"loadharness/reports"
)

// fixtureEnvironment is a fixed environment: golden files must not depend
// on the machine that runs the tests.
var fixtureEnvironment = reports.Environment{
	Commit:    "0123456789abcdef",
	Host:      "ci-runner-7",
	OS:        "linux",
	Arch:      "amd64",
	CPUs:      2,
	GoVersion: "go1.26.0",
	Provider:  "process",
	RedisKind: "miniredis (embedded)",
	Versions:  map[string]string{"target": "v0.3.0", "redis": "miniredis v2.40.0"},
}

// fixtureTarget is what a scrape of the fixture's target would have read
// once a second: gauges that rise during the failover, counters that grow.
func fixtureTarget() []reports.TargetSample {
	var out []reports.TargetSample
	for i := range 13 {
		busy := 2.0
		if i >= 6 && i <= 8 {
			busy = 9
		}
		out = append(out, reports.TargetSample{
			At: fixtureStart.Add(time.Duration(i) * time.Second),
			Values: map[string]float64{
				"target_requests_in_flight":        busy + 3,
				"target_queue_depth":               busy / 3,
				"target_busy_threads":              busy,
				"target_requests_total":            float64(85 * i),
				"target_overload_rejections_total": float64(i / 4),
				"redis_connected_clients":          24,
				"redis_used_memory_bytes":          float64(3<<20 + i*64<<10),
				"go_goroutines":                    40, // not charted: runtime collector
			},
		})
	}
	return out
}

// fixtureInput is the fixture run as a report sees it.
func fixtureInput(tb testing.TB) reports.ReportInput {
	tb.Helper()
	return reports.ReportInput{
		Summary:     fixtureSummary(tb),
		Aggregate:   MustAggregate(tb, fixtureStart, fixtureResults()),
		Target:      fixtureTarget(),
		Environment: fixtureEnvironment,
	}
}

var (
	fixtureChartsOnce sync.Once
	fixtureCharts     []reports.Chart
	fixtureChartsErr  error
)

// renderedFixture is fixtureInput with its charts, rendered once for every
// test that needs them: rendering is the slow part, and the race detector
// makes it slower still.
func renderedFixture(tb testing.TB) reports.ReportInput {
	tb.Helper()
	in := fixtureInput(tb)
	fixtureChartsOnce.Do(func() { fixtureCharts, fixtureChartsErr = reports.RenderCharts(in) })
	if fixtureChartsErr != nil {
		tb.Fatalf("RenderCharts: %v", fixtureChartsErr)
	}
	in.Charts = fixtureCharts
	return in
}
