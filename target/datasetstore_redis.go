package target

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// datasetKeyPrefix prefixes the Redis key of every data set.
const datasetKeyPrefix = "dataset:"

// redisDatasets keeps each data set under its own Redis key, with the
// session's lifetime as TTL: the plan's option C.
type redisDatasets struct {
	rdb     *redis.Client
	ttl     time.Duration
	timeout time.Duration
	m       *metrics
}

var _ datasetStore = (*redisDatasets)(nil)

// Put stores b under id.
func (s *redisDatasets) Put(ctx context.Context, id string, b []byte) error {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.rdb.Set(ctx, datasetKeyPrefix+id, b, s.ttl).Err(); err != nil {
		s.m.datasetOps.WithLabelValues("put", resultError).Inc()
		return fmt.Errorf("%w: put %s: %w", errStoreUnavailable, id, err)
	}
	s.m.datasetOps.WithLabelValues("put", resultOK).Inc()
	return nil
}

// Get reads the data set id.
func (s *redisDatasets) Get(ctx context.Context, id string) ([]byte, error) {
	if !validDatasetID(id) {
		s.m.datasetOps.WithLabelValues("get", resultMissing).Inc()
		return nil, errDatasetMissing
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	b, err := s.rdb.Get(ctx, datasetKeyPrefix+id).Bytes()
	switch {
	case errors.Is(err, redis.Nil):
		s.m.datasetOps.WithLabelValues("get", resultMissing).Inc()
		return nil, errDatasetMissing
	case err != nil:
		s.m.datasetOps.WithLabelValues("get", resultError).Inc()
		return nil, fmt.Errorf("%w: get %s: %w", errStoreUnavailable, id, err)
	}
	s.m.datasetOps.WithLabelValues("get", resultOK).Inc()
	return b, nil
}

// Delete removes the data set id.
func (s *redisDatasets) Delete(ctx context.Context, id string) error {
	if !validDatasetID(id) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.rdb.Del(ctx, datasetKeyPrefix+id).Err(); err != nil {
		s.m.datasetOps.WithLabelValues("delete", resultError).Inc()
		return fmt.Errorf("%w: delete %s: %w", errStoreUnavailable, id, err)
	}
	s.m.datasetOps.WithLabelValues("delete", resultOK).Inc()
	return nil
}
