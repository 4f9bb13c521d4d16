package balancer

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
)

func TestUnhealthyThreshold(t *testing.T) {
	var ready atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	b, err := New([]*url.URL{u}, WithUnhealthyThreshold(3))
	if err != nil {
		t.Fatal(err)
	}
	be := b.snapshot()[0]
	ctx := context.Background()

	// Each step is one active check; want is the health after it.
	steps := []struct {
		ready bool
		want  bool
	}{
		{ready: false, want: true},
		{ready: false, want: true},
		{ready: false, want: false},
		{ready: true, want: true},
		{ready: false, want: true}, // the passing check reset the count
	}
	for i, st := range steps {
		ready.Store(st.ready)
		b.checkOne(ctx, be)
		if got := be.healthy.Load(); got != st.want {
			t.Fatalf("after check %d (ready %v): healthy = %v, want %v", i+1, st.ready, got, st.want)
		}
		if got, want := len(*b.ready.Load()), map[bool]int{true: 1, false: 0}[st.want]; got != want {
			t.Fatalf("after check %d: %d backends in rotation, want %d", i+1, got, want)
		}
	}
}
