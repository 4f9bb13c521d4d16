package balancer_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"loadharness/target/balancer"
)

// BenchmarkServeHTTP measures a proxied request end to end against a local
// backend: the balancer's cost on top of one HTTP round trip.
func BenchmarkServeHTTP(b *testing.B) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Instance", "bench")
		_, _ = w.Write([]byte(`{"id":"d1","rows":10,"columns":3}`))
	}))
	defer backend.Close()
	lb, err := balancer.New([]*url.URL{mustParse(b, backend.URL)}, balancer.WithFailOpen(false))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest(http.MethodGet, "/dataset", nil)
		for pb.Next() {
			w := httptest.NewRecorder()
			lb.ServeHTTP(w, r)
			if w.Code != http.StatusOK {
				b.Errorf("status %d", w.Code)
				return
			}
		}
	})
}

// BenchmarkNoHealthyBackend measures the path that only picks: an empty
// rotation, answered by the balancer itself.
func BenchmarkNoHealthyBackend(b *testing.B) {
	backend := httptest.NewServer(http.NotFoundHandler())
	backend.Close()
	lb, err := balancer.New([]*url.URL{mustParse(b, backend.URL)}, balancer.WithFailOpen(false))
	if err != nil {
		b.Fatal(err)
	}
	r := httptest.NewRequest(http.MethodGet, "/dataset", nil)
	lb.ServeHTTP(httptest.NewRecorder(), r) // 502: the dead backend leaves the rotation
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		lb.ServeHTTP(w, r)
		if w.Code != http.StatusServiceUnavailable {
			b.Fatalf("status %d", w.Code)
		}
	}
}
