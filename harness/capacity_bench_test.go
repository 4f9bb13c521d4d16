package harness

import (
	"sync"
	"testing"

	"loadharness"
)

// BenchmarkLossSink measures the per-result cost of classifying losses in a
// before/after run, on the hot path of every result.
func BenchmarkLossSink(b *testing.B) {
	suite := mustSuite(b, planSuite)
	l := newLossSink(suite)
	for u := uint32(0); u < 100; u++ {
		l.Add(&loadharness.Result{Scenario: "browse", Step: "upload", User: u, Code: 201, Instance: "instance-1", Worker: "1"})
	}
	r := loadharness.Result{Scenario: "browse", Step: "dataset", Code: 200, Instance: "instance-2", Worker: "3", Session: loadharness.SessionKept}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		r.User = uint32(i % 100)
		l.Add(&r)
	}
}

// BenchmarkSpawnedSink measures the sinks a spawned capacity step puts in
// front of the aggregate: the setup filter and the lock the batches share.
func BenchmarkSpawnedSink(b *testing.B) {
	var n int
	var s loadharness.Sink = &setupFilter{remaining: 0, next: lockedSink{mu: new(sync.Mutex), next: loadharness.SinkFunc(func(*loadharness.Result) { n++ })}}
	r := loadharness.Result{Scenario: "browse", Step: "map", Code: 200}
	b.ReportAllocs()
	for b.Loop() {
		s.Add(&r)
	}
	if n == 0 {
		b.Fatal("no result reached the sink")
	}
}
