package process

import (
	"context"
	"errors"

	"loadharness"
	"loadharness/harness/stack"
	"loadharness/scenarios/suite"
)

// instanceRedisAddr is the Redis address the instances are given: the fault
// proxy's when there is one.
func (s *processStack) instanceRedisAddr() string {
	if s.faults != nil {
		return s.faults.Addr()
	}
	return s.redis.Addr()
}

var _ stack.Faulter = (*processStack)(nil)

// SetFault switches f on or off on the Redis link.
func (s *processStack) SetFault(ctx context.Context, f suite.Fault) (loadharness.Event, error) {
	ev := stack.FaultEvent(f)
	if s.faults == nil {
		err := errors.New("this stack has no fault proxy (started without fault actions)")
		ev.Detail = "failed: " + err.Error()
		return ev, err
	}
	if err := s.faults.Set(ctx, f); err != nil {
		ev.Detail = "failed: " + err.Error()
		return ev, err
	}
	return ev, nil
}

// ClearFaults switches off every fault still on.
func (s *processStack) ClearFaults(ctx context.Context) ([]loadharness.Event, error) {
	if s.faults == nil {
		return nil, nil
	}
	kinds, err := s.faults.Clear(ctx)
	var evs []loadharness.Event
	for _, k := range kinds {
		ev := stack.FaultEvent(suite.Fault{Kind: k, Off: true})
		ev.Detail = "left on at the end of the scenario"
		evs = append(evs, ev)
	}
	return evs, err
}
