package target

import (
	"context"
	"fmt"
)

// sessionDatasets serializes the data set into the session itself: the
// seed's "DataFrame in the session", which every request then loads and
// saves whole, and which breaks once a session outgrows its backend.
type sessionDatasets struct {
	sessions *sessions
	max      int
	m        *metrics
}

var _ datasetStore = (*sessionDatasets)(nil)

// Put puts b into ctx's session, unless the session would outgrow max.
func (s *sessionDatasets) Put(ctx context.Context, _ string, b []byte) error {
	size, err := s.sessions.encodedSizeWith(ctx, keyDatasetBytes, b)
	if err != nil {
		s.m.datasetOps.WithLabelValues("put", resultError).Inc()
		return fmt.Errorf("encode session: %w", err)
	}
	if size > s.max {
		s.m.datasetOps.WithLabelValues("put", resultTooBig).Inc()
		return &tooLargeError{Size: size, Max: s.max}
	}
	s.sessions.manager.Put(ctx, keyDatasetBytes, b)
	s.m.datasetOps.WithLabelValues("put", resultOK).Inc()
	return nil
}

// Get returns the bytes in ctx's session.
func (s *sessionDatasets) Get(ctx context.Context, _ string) ([]byte, error) {
	b, ok := s.sessions.manager.Get(ctx, keyDatasetBytes).([]byte)
	if !ok {
		s.m.datasetOps.WithLabelValues("get", resultMissing).Inc()
		return nil, errDatasetMissing
	}
	s.m.datasetOps.WithLabelValues("get", resultOK).Inc()
	return b, nil
}

// Delete has nothing to do: Put replaced the bytes in the session.
func (s *sessionDatasets) Delete(context.Context, string) error { return nil }
