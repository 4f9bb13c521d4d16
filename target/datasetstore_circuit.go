package target

import (
	"context"
	"errors"
	"fmt"
)

// circuitDatasets puts a circuit breaker in front of a data-set store, so
// that while Redis is away the data endpoints answer 503 at once instead of
// each waiting out the Redis timeout.
type circuitDatasets struct {
	inner   datasetStore
	circuit *breaker
}

var _ datasetStore = (*circuitDatasets)(nil)

// Put stores b under id unless the circuit is open.
func (s *circuitDatasets) Put(ctx context.Context, id string, b []byte) error {
	return s.guard(ctx, func(ctx context.Context) error { return s.inner.Put(ctx, id, b) })
}

// Get reads the data set id unless the circuit is open. A missing data set
// is an answer from the store, not a failure of it.
func (s *circuitDatasets) Get(ctx context.Context, id string) ([]byte, error) {
	var (
		b       []byte
		missing bool
	)
	err := s.guard(ctx, func(ctx context.Context) error {
		var err error
		b, err = s.inner.Get(ctx, id)
		if errors.Is(err, errDatasetMissing) {
			missing = true
			return nil
		}
		return err
	})
	if err == nil && missing {
		return nil, errDatasetMissing
	}
	return b, err
}

// Delete removes the data set id unless the circuit is open.
func (s *circuitDatasets) Delete(ctx context.Context, id string) error {
	return s.guard(ctx, func(ctx context.Context) error { return s.inner.Delete(ctx, id) })
}

// guard runs op through the circuit; a refusal reads as an unreachable store.
func (s *circuitDatasets) guard(ctx context.Context, op func(context.Context) error) error {
	err := s.circuit.call(ctx, op)
	if errors.Is(err, errCircuitOpen) {
		return fmt.Errorf("%w: %w", errStoreUnavailable, err)
	}
	return err
}
