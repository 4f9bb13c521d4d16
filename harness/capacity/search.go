package capacity

import (
	"context"
	"math"
	"time"

	"loadharness"
)

// Phases of a capacity search, as written in CurvePoint.Phase.
const (
	PhaseBracket = "bracket"
	PhaseBisect  = "bisect"
	PhaseConfirm = "confirm"
)

// maxBackoffs is how many times a failed confirmation steps down by one
// resolution before the search gives the answer as unconfirmed.
const maxBackoffs = 2

// probeFunc runs the scenario at load for measure (after its warm-up) and
// says how it went. An error means the harness could not run the step.
type probeFunc func(ctx context.Context, load float64, phase string, measure time.Duration) (CurvePoint, error)

// searchOutcome is what searchCapacity found.
type searchOutcome struct {
	capacity            float64
	confirmed           bool
	lastPass, firstFail float64
	limitedBy           string
	curve               []CurvePoint
}

// searchCapacity finds the highest load at which probe passes. It brackets
// the capacity by doubling from opts.Start while steps pass (halving while
// they fail), then bisects [last pass, first fail] until it is narrower
// than opts.Resolution of the last pass, then confirms the last pass with a
// run of opts.Confirm; a failed confirmation steps down by one resolution,
// at most maxBackoffs times.
//
// A step the generator could not hold (verdict invalid) says nothing about
// the target: it is not a failure but a ceiling on what this generator can
// measure, and when it is the lowest bound above the last pass the capacity
// is reported as a lower bound (LimitGenerator).
//
// With integer set, loads are whole numbers (users). The curve holds every
// step in the order it ran.
func searchCapacity(ctx context.Context, probe probeFunc, opts SearchOptions, integer bool) (searchOutcome, error) {
	var out searchOutcome
	round := func(x float64) float64 { return roundLoad(x, integer) }
	minLoad, maxLoad := round(opts.Min), round(opts.Max)
	if maxLoad < minLoad {
		maxLoad = minLoad
	}
	lo, hi, ceiling := 0.0, math.Inf(1), math.Inf(1)
	steps := 0
	run := func(load float64, phase string, measure time.Duration) (loadharness.Verdict, error) {
		p, err := probe(ctx, load, phase, measure)
		p.Load, p.Phase = load, phase
		out.curve = append(out.curve, p)
		steps++
		return p.Verdict, err
	}

	// Bracket: double while passing, halve while failing.
	load := math.Min(math.Max(round(opts.Start), minLoad), maxLoad)
	for steps < opts.MaxSteps {
		v, err := run(load, PhaseBracket, opts.Step)
		if err != nil {
			return out.finish(lo, hi, ceiling, maxLoad), err
		}
		var next float64
		switch v {
		case loadharness.VerdictPass:
			lo = load
			next = math.Min(round(load*2), maxLoad)
		case loadharness.VerdictFail:
			hi = load
			next = math.Max(round(load/2), minLoad)
		default: // invalid: the generator's limit, below which we look
			ceiling = load
			next = math.Max(round(load/2), minLoad)
		}
		if lo > 0 && math.Min(hi, ceiling) < math.Inf(1) || next == load {
			break
		}
		load = next
	}

	// Bisect the bracket.
	for lo > 0 && steps < opts.MaxSteps {
		upper := math.Min(hi, ceiling)
		if math.IsInf(upper, 1) || upper-lo <= opts.Resolution*lo {
			break
		}
		mid := round((lo + upper) / 2)
		if mid <= lo || mid >= upper {
			break
		}
		v, err := run(mid, PhaseBisect, opts.Step)
		if err != nil {
			return out.finish(lo, hi, ceiling, maxLoad), err
		}
		switch v {
		case loadharness.VerdictPass:
			lo = mid
		case loadharness.VerdictFail:
			hi = mid
		default:
			ceiling = mid
		}
	}
	out.finish(lo, hi, ceiling, maxLoad)
	if lo == 0 {
		return out, nil
	}

	// Confirm with a longer run, stepping down on failure. A failed
	// confirmation narrows the bracket only when a lower load confirms, so
	// that [last pass, first fail] stays ordered.
	candidate, failedAt := lo, 0.0
	for backoff := 0; backoff <= maxBackoffs; backoff++ {
		v, err := run(candidate, PhaseConfirm, opts.Confirm)
		if err != nil {
			return out, err
		}
		if v == loadharness.VerdictPass {
			out.capacity, out.confirmed, out.lastPass = candidate, true, candidate
			if failedAt > 0 {
				out.firstFail, out.limitedBy = failedAt, LimitGates
			}
			return out, nil
		}
		if v == loadharness.VerdictFail {
			failedAt = candidate
		}
		next := round(candidate * (1 - opts.Resolution))
		if next >= candidate || next < minLoad {
			break
		}
		candidate = next
	}
	return out, nil // unconfirmed: the short steps' answer stands, flagged
}

// finish records the bracket and what limited it.
func (o *searchOutcome) finish(lo, hi, ceiling, maxLoad float64) searchOutcome {
	o.lastPass, o.capacity = lo, lo
	if !math.IsInf(hi, 1) {
		o.firstFail = hi
	}
	switch {
	case ceiling < hi:
		o.limitedBy = LimitGenerator
	case !math.IsInf(hi, 1):
		o.limitedBy = LimitGates
	case lo >= maxLoad:
		o.limitedBy = LimitMax
	default:
		o.limitedBy = LimitSteps
	}
	return *o
}

// roundLoad makes a load one the scenario can run: whole users, or a rate
// with three significant digits (a search does not need 123.456/s).
func roundLoad(x float64, integer bool) float64 {
	if integer {
		return math.Max(math.Round(x), 1)
	}
	if x <= 0 {
		return 0
	}
	scale := math.Pow(10, math.Floor(math.Log10(x))-2)
	return math.Round(x/scale) * scale
}
