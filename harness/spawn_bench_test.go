package harness

import (
	"sync"
	"testing"

	"loadharness"
)

// BenchmarkSpawnedSink measures the sinks a spawned capacity step puts in
// front of the aggregate: the setup filter and the lock the batches share.
func BenchmarkSpawnedSink(b *testing.B) {
	var n int
	var s loadharness.Sink = &setupFilter{next: lockedSink{mu: new(sync.Mutex), next: loadharness.SinkFunc(func(*loadharness.Result) { n++ })}}
	r := loadharness.Result{Scenario: "browse", Step: "map", Code: 200}
	b.ReportAllocs()
	for b.Loop() {
		s.Add(&r)
	}
	if n == 0 {
		b.Fatal("no result reached the sink")
	}
}
