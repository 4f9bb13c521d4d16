package balancer

import (
	"net/url"
	"testing"
)

// BenchmarkPick measures choosing a backend: the part of the hot path the
// balancer owns, which must stay lock-free and allocation-free.
func BenchmarkPick(b *testing.B) {
	lb, err := New([]*url.URL{
		{Scheme: "http", Host: "127.0.0.1:1"},
		{Scheme: "http", Host: "127.0.0.1:2"},
		{Scheme: "http", Host: "127.0.0.1:3"},
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			be := lb.pick()
			be.inFlight.Add(-1)
		}
	})
}
