package capacity

import (
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
