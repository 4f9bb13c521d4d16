package external_test

import (
	"context"
	"errors"
	"testing"

	"loadharness"
	"loadharness/harness/stack/external"
)

func TestStartRefusesToBringUpPrometheus(t *testing.T) {
	tests := []struct {
		name       string
		prometheus bool
		wantErr    error
	}{
		{name: "no prometheus asked", prometheus: false, wantErr: nil},
		{name: "prometheus asked", prometheus: true, wantErr: external.ErrNoPrometheus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shape := loadharness.DefaultStackShape
			shape.Prometheus = tt.prometheus
			st, err := external.Provider{URL: "http://127.0.0.1:9"}.Start(context.Background(), shape)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Start = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				st.Close(context.Background())
			}
		})
	}
}
