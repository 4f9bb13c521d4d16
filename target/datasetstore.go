package target

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
)

// datasetStore keeps encoded data sets by id. The session only ever holds the
// id (and checksum); where the bytes live is the store's business. ctx is the
// request's, carrying its session for the store that keeps bytes there.
type datasetStore interface {
	Put(ctx context.Context, id string, b []byte) error
	// Get returns errDatasetMissing when the session points at a data set this
	// store does not have (another instance's disk, an expired key).
	Get(ctx context.Context, id string) ([]byte, error)
	// Delete drops a data set the session no longer points at; a missing
	// one is not an error.
	Delete(ctx context.Context, id string) error
}

// errDatasetMissing means a data set the session refers to is gone: a lost
// session in all but name.
var errDatasetMissing = errors.New("data set missing from store")

// errStoreUnavailable wraps a store that could not be reached (Redis down).
var errStoreUnavailable = errors.New("dataset store unavailable")

// tooLargeError is a data set that does not fit in the session.
type tooLargeError struct {
	Size, Max int
}

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("session too large: %d bytes with the data set, limit %d", e.Size, e.Max)
}

// idBytes is the length of a data-set id before hex encoding.
const idBytes = 16

// newDatasetID returns a random id; ids never derive from client input, so
// they are safe in Redis keys and file names alike.
func newDatasetID() (string, error) {
	b := make([]byte, idBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("dataset id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// validDatasetID says whether id is one newDatasetID could have made.
func validDatasetID(id string) bool {
	if len(id) != 2*idBytes {
		return false
	}
	for _, r := range id {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
}
