package target

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alexedwards/scs/v2"
)

// errSessionCorrupt marks a stored session that could not be decoded, so the
// middleware can tell it from an unreachable store.
var errSessionCorrupt = errors.New("session corrupt")

// observedStore wraps the session store scs uses: it bounds every call by the
// Redis timeout (scs passes the request's context, which may be much longer),
// puts the circuit breaker in front of it, and counts the calls by outcome.
// A call the circuit refused never reached the store, so it is counted only
// as a rejection.
type observedStore struct {
	inner   scs.Store
	timeout time.Duration
	m       *metrics
	// circuit is nil for a store in process memory.
	circuit *breaker
}

var _ scs.CtxStore = (*observedStore)(nil)

func (s *observedStore) count(op string, err error, found bool) {
	result := resultOK
	switch {
	case err != nil:
		result = resultError
	case !found:
		result = resultMissing
	}
	s.m.sessionOps.WithLabelValues(op, result).Inc()
}

// FindCtx returns the session for token; a missing or expired one is not an error.
func (s *observedStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var (
		b     []byte
		found bool
	)
	err := s.circuit.call(ctx, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		var err error
		if c, ok := s.inner.(scs.CtxStore); ok {
			b, found, err = c.FindCtx(ctx, token)
		} else {
			b, found, err = s.inner.Find(token)
		}
		s.count("load", err, found)
		return err
	})
	if err != nil {
		return nil, false, fmt.Errorf("session load: %w", err)
	}
	return b, found, nil
}

// CommitCtx stores the session for token until expiry.
func (s *observedStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	err := s.circuit.call(ctx, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		var err error
		if c, ok := s.inner.(scs.CtxStore); ok {
			err = c.CommitCtx(ctx, token, b, expiry)
		} else {
			err = s.inner.Commit(token, b, expiry)
		}
		s.count("commit", err, true)
		return err
	})
	if err != nil {
		return fmt.Errorf("session commit: %w", err)
	}
	return nil
}

// DeleteCtx removes the session for token (at login, when the token is
// renewed, and at logout).
func (s *observedStore) DeleteCtx(ctx context.Context, token string) error {
	err := s.circuit.call(ctx, func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, s.timeout)
		defer cancel()
		var err error
		if c, ok := s.inner.(scs.CtxStore); ok {
			err = c.DeleteCtx(ctx, token)
		} else {
			err = s.inner.Delete(token)
		}
		s.count("delete", err, true)
		return err
	})
	if err != nil {
		return fmt.Errorf("session delete: %w", err)
	}
	return nil
}

// Find, Commit and Delete satisfy scs.Store; scs always prefers the Ctx
// variants, so these only exist for the interface.
func (s *observedStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a context.
func (s *observedStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete is DeleteCtx without a context.
func (s *observedStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// markingCodec is scs's gob codec with decode failures marked as
// errSessionCorrupt.
type markingCodec struct{ scs.GobCodec }

// Decode decodes a stored session.
func (c markingCodec) Decode(b []byte) (time.Time, map[string]any, error) {
	deadline, values, err := c.GobCodec.Decode(b)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("%w: %w", errSessionCorrupt, err)
	}
	return deadline, values, nil
}
