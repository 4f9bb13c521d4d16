package target

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// newRedisClient returns a client whose every command is bounded by timeout
// (go-redis otherwise waits up to its own, longer defaults) and whose pool
// fits one worker's threads.
func newRedisClient(addr string, timeout time.Duration, threads int) *redis.Client {
	return redis.NewClient(&redis.Options{
		Addr:                  addr,
		DialTimeout:           timeout,
		ReadTimeout:           timeout,
		WriteTimeout:          timeout,
		PoolTimeout:           timeout,
		ContextTimeoutEnabled: true,
		PoolSize:              threads + 2,
		// One retry replaces a pooled connection that died with a Redis
		// restart; the context bounds it anyway.
		MaxRetries: 1,
		// go-redis dials up to 5 times by default; during an outage that
		// only spends the request's budget on a server that is not there.
		DialerRetries:   1,
		DisableIdentity: true,
	})
}

// ping asks Redis for PONG within timeout.
func ping(ctx context.Context, rdb *redis.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}
