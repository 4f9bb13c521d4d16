package scenarios

import "sync"

// maxVersions bounds the distinct versions counted: a header that carries
// a build id per request must not grow memory.
const maxVersions = 16

// versionCounts counts answers by the service version they named. Every
// user's response goes through it, so it is locked; it is touched only
// when the suite names a version header.
type versionCounts struct {
	mu     sync.Mutex
	counts map[string]uint64
}

// add counts one answer that named version v ("": it named none).
func (c *versionCounts) add(v string) {
	if v == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = make(map[string]uint64)
	}
	if _, ok := c.counts[v]; !ok && len(c.counts) >= maxVersions {
		v = "other"
	}
	c.counts[v]++
}

// snapshot returns a copy of the counts, nil when none.
func (c *versionCounts) snapshot() map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.counts) == 0 {
		return nil
	}
	out := make(map[string]uint64, len(c.counts))
	for v, n := range c.counts {
		out[v] = n
	}
	return out
}
