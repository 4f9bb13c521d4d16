package capacity

import (
	"fmt"
	"slices"

	"loadharness"
)

// The knee's rule: the lowest load whose p95 is more than KneeFactor times
// the p95 at the lowest load tried, and at least KneeMinRiseMS above it, so
// that noise on a baseline of a few milliseconds is not taken for a knee.
const (
	KneeFactor    = 2.0
	KneeMinRiseMS = 10.0
)

// Knee is where latency starts to climb: below it the service has spare
// capacity and answers as fast as when idle; past it requests queue. It is
// usually well below the capacity, where the climb crosses a gate.
type Knee struct {
	Load         float64 `json:"load"`
	P95          float64 `json:"p95_ms"`
	BaselineLoad float64 `json:"baseline_load"`
	BaselineP95  float64 `json:"baseline_p95_ms"`
	Rule         string  `json:"rule"`
}

// findKnee applies the rule to the steps that measured something (invalid
// steps say nothing of the target); nil when p95 never climbed that far.
func findKnee(curve []CurvePoint) *Knee {
	var pts []CurvePoint
	for _, p := range curve {
		if p.Verdict != loadharness.VerdictInvalid && p.Requests > 0 {
			pts = append(pts, p)
		}
	}
	if len(pts) < 2 {
		return nil
	}
	slices.SortStableFunc(pts, func(a, b CurvePoint) int {
		switch {
		case a.Load < b.Load:
			return -1
		case a.Load > b.Load:
			return 1
		}
		return 0
	})
	base := pts[0]
	for _, p := range pts[1:] {
		if p.Load > base.Load && p.P95 > KneeFactor*base.P95 && p.P95-base.P95 >= KneeMinRiseMS {
			return &Knee{
				Load: p.Load, P95: p.P95, BaselineLoad: base.Load, BaselineP95: base.P95,
				Rule: fmt.Sprintf("first load whose p95 exceeds %g× the p95 at the lowest load tried (and by %gms at least)", KneeFactor, KneeMinRiseMS),
			}
		}
	}
	return nil
}
