package datagen

import (
	"io"
	"testing"
)

// BenchmarkWrite measures one load-test upload body: 500 wards, the default
// indicators, streamed to a writer.
func BenchmarkWrite(b *testing.B) {
	s := Spec{Rows: 500, Seed: 1}
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, s); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBytes is BenchmarkWrite for callers that need the body in memory.
func BenchmarkBytes(b *testing.B) {
	s := Spec{Rows: 500, Seed: 1}
	b.ReportAllocs()
	for b.Loop() {
		out, err := Bytes(s)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(out)))
	}
}
