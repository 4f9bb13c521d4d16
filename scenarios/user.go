package scenarios

import (
	"math/rand/v2"
	"net/http/cookiejar"
	"time"
)

// user is a virtual user: its own cookie jar, hence its own server-side
// session, the data set it expects its session to hold, and its place in the
// steps. A user is held by one request at a time (the pool hands it from the
// targeter to the transport and back), so its fields need no lock: each hand
// over is a channel operation, which orders the memory accesses.
type user struct {
	id  uint32
	jar *cookiejar.Jar
	// next is the index of the user's next main step (sequence pick).
	next int
	// setupNext is the index of the user's next setup step.
	setupNext int
	// rng draws weighted steps; seeded by the user id so runs repeat.
	rng *rand.Rand
	// readyAt is when the user may send again (closed model think time).
	readyAt time.Time
	// dataset and checksum are what the user's session should hold, from its
	// last captured upload; hasDataset is false until then.
	dataset, checksum string
	hasDataset        bool
	// uploads caches the user's generated upload bodies by step index.
	uploads map[int][]byte
}
