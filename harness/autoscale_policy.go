package harness

import (
	"fmt"
	"time"

	"loadharness/scenarios/suite"
)

// scaleDecision is what a scaling policy wants after a reading.
type scaleDecision int

const (
	scaleHold scaleDecision = iota
	scaleOut
	scaleIn
)

// scaleState applies a scaling policy to one reading of its signal at a
// time, as a cloud alarm does with its evaluation periods: a breach is a run
// of consecutive readings above (or below) the threshold long enough to
// cover the policy's window. It holds no clock and does no I/O, so the
// policy is tested reading by reading.
type scaleState struct {
	policy    suite.Autoscale
	instances int
	// above and below count the consecutive readings past each threshold.
	above, below int
	// last is when the last action ended; zero before any.
	last time.Time
}

func newScaleState(p suite.Autoscale, instances int) *scaleState {
	return &scaleState{policy: p, instances: instances}
}

// readingsFor is how many consecutive readings cover d: a reading stands
// for the interval before it, so 3 readings a second apart cover 3 s.
func readingsFor(d time.Duration) int {
	return max(int((d+suite.AutoscaleInterval-1)/suite.AutoscaleInterval), 1)
}

// observe takes one reading (ok false: the signal could not be read, which
// neither extends nor breaks a breach) and says what to do now.
func (s *scaleState) observe(now time.Time, v float64, ok bool) scaleDecision {
	if !ok {
		return scaleHold
	}
	p := &s.policy
	switch {
	case v > p.Above:
		s.above, s.below = s.above+1, 0
	case v < p.Below:
		s.above, s.below = 0, s.below+1
	default:
		s.above, s.below = 0, 0
	}
	if !s.last.IsZero() && now.Sub(s.last) < p.Cooldown {
		return scaleHold
	}
	switch {
	case s.above >= readingsFor(p.For) && s.instances < p.MaxInstances:
		return scaleOut
	case p.ScalesIn() && s.below >= readingsFor(p.ScaleInFor) && s.instances > p.MinInstances:
		return scaleIn
	}
	return scaleHold
}

// acted records an action that ended at now: the cooldown starts, and the
// signal must breach again, from scratch, on the new capacity. A failed
// action changes no count but still waits out the cooldown, so a provider
// that cannot scale is not asked every second.
func (s *scaleState) acted(now time.Time, d scaleDecision, ok bool) {
	s.last = now
	s.above, s.below = 0, 0
	if !ok {
		return
	}
	switch d {
	case scaleOut:
		s.instances++
	case scaleIn:
		s.instances--
	}
}

// reason says why the policy acts, for the event's detail.
func (s *scaleState) reason(d scaleDecision, v float64) string {
	p := &s.policy
	switch d {
	case scaleOut:
		return fmt.Sprintf("autoscale: %s %s > %s for %s", p.Signal, p.Signal.Format(v), p.Signal.Format(p.Above), p.For)
	case scaleIn:
		return fmt.Sprintf("autoscale: %s %s < %s for %s", p.Signal, p.Signal.Format(v), p.Signal.Format(p.Below), p.ScaleInFor)
	}
	return ""
}
