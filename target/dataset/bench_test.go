package dataset

import (
	"bytes"
	"testing"

	"loadharness/datagen"
)

// benchSpec is the upload the benchmarks use: 1,000 wards, the default
// indicators, some gaps.
var benchSpec = datagen.Spec{Rows: 1000, Seed: 1, Missing: 0.02}

func benchDataSet(b *testing.B) *DataSet {
	b.Helper()
	d, err := Parse(bytes.NewReader(MustGenerate(b, benchSpec)), Limits{})
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkParse is the CPU cost of one upload on the server.
func BenchmarkParse(b *testing.B) {
	in := MustGenerate(b, benchSpec)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(in), Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMarshal is the cost of storing a data set (Redis, session, disk).
func BenchmarkMarshal(b *testing.B) {
	d := benchDataSet(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.MarshalBinary(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode is the cost of loading a stored data set, paid by every
// request that reads one.
func BenchmarkDecode(b *testing.B) {
	enc := MustMarshal(b, benchDataSet(b))
	b.SetBytes(int64(len(enc)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(enc, Limits{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkChecksum is the cost of the X-Dataset-Checksum header when the
// server recomputes it.
func BenchmarkChecksum(b *testing.B) {
	d := benchDataSet(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = d.Checksum()
	}
}
