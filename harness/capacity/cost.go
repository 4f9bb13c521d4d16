package capacity

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Cost holds the prices and loads a capacity plan turns into a fleet: the
// seed's cost table (instances at a monthly price, one shared Redis) and the
// load to hold normally and at peak.
type Cost struct {
	InstanceMonthly float64 `json:"instance_monthly"`
	RedisMonthly    float64 `json:"redis_monthly"`
	// Target and Peak are the loads to hold, in Unit.
	Target float64 `json:"target"`
	Peak   float64 `json:"peak"`
	// Unit is "users" (target_users, peak_users) or "req/s" (target_rps,
	// peak_rps): it must match the search's axis.
	Unit string `json:"unit"`
}

// maxCostValue bounds every figure of a cost, so that a typo is caught.
const maxCostValue = 1e9

// ParseCost reads prices and loads written as
// "instance_monthly=47.5,redis_monthly=25,target_users=100,peak_users=200"
// (commas or spaces between pairs; target_rps and peak_rps for a search by
// rate). instance_monthly and a target are required; peak defaults to the
// target. Every problem is reported at once.
func ParseCost(s string) (Cost, error) {
	var c Cost
	var errs []error
	seen := map[string]bool{}
	unitOf := map[string]string{"target_users": "users", "peak_users": "users", "target_rps": "req/s", "peak_rps": "req/s"}
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	for _, field := range fields {
		key, text, ok := strings.Cut(field, "=")
		if !ok {
			errs = append(errs, fmt.Errorf("cost %q: want KEY=NUMBER", truncateNote(field, 40)))
			continue
		}
		v, err := strconv.ParseFloat(text, 64)
		if err != nil || math.IsNaN(v) || v < 0 || v > maxCostValue {
			errs = append(errs, fmt.Errorf("cost %s: %q is not a number in 0..%g", truncateNote(key, 40), truncateNote(text, 20), float64(maxCostValue)))
			continue
		}
		if seen[key] {
			errs = append(errs, fmt.Errorf("cost %s is given twice", truncateNote(key, 40)))
			continue
		}
		seen[key] = true
		switch key {
		case "instance_monthly":
			c.InstanceMonthly = v
		case "redis_monthly":
			c.RedisMonthly = v
		case "target_users", "target_rps":
			c.Target = v
		case "peak_users", "peak_rps":
			c.Peak = v
		default:
			errs = append(errs, fmt.Errorf("cost %q: unknown key, want instance_monthly, redis_monthly, target_users, peak_users, target_rps or peak_rps", truncateNote(key, 40)))
			continue
		}
		if u, ok := unitOf[key]; ok {
			if c.Unit != "" && c.Unit != u {
				errs = append(errs, fmt.Errorf("cost %s: loads must all be in users or all in req/s", key))
			}
			c.Unit = u
		}
	}
	if !seen["instance_monthly"] {
		errs = append(errs, errors.New("cost: instance_monthly is required"))
	}
	if c.Target <= 0 {
		errs = append(errs, errors.New("cost: a target above 0 is required (target_users or target_rps)"))
	}
	if c.Peak == 0 {
		c.Peak = c.Target
	}
	if c.Peak < c.Target {
		errs = append(errs, fmt.Errorf("cost: peak %g is below the target %g", c.Peak, c.Target))
	}
	return c, errors.Join(errs...)
}

// Fleet is a number of instances that holds a load, and its monthly cost.
type Fleet struct {
	Load      float64 `json:"load"`
	Instances int     `json:"instances"`
	Workers   int     `json:"workers"`
	// Capacity is what the fleet holds: measured, or extrapolated.
	Capacity float64 `json:"capacity"`
	Monthly  float64 `json:"monthly"`
	// Basis says where the figure comes from: "measured" (a shape of the
	// grid held the load) or "extrapolated" (instances × one instance's
	// measured capacity); "" when nothing measured holds any load.
	Basis string `json:"basis"`
	Note  string `json:"note,omitempty"`
}

// CostPlan is the fleet for the normal and the peak load.
type CostPlan struct {
	Cost   Cost  `json:"cost"`
	Normal Fleet `json:"normal"`
	Peak   Fleet `json:"peak"`
}

// planFleet finds, for the cost's target and peak, the fleet that holds
// them: the smallest measured shape that did (fewest instances, then fewest
// workers) or, when none did, as many instances as one instance's best
// measured capacity needs, on the assumption each gets its own machine.
func planFleet(shapes []GridShape, cost Cost, by LoadAxis) CostPlan {
	return CostPlan{Cost: cost, Normal: fleetFor(shapes, cost, by, cost.Target), Peak: fleetFor(shapes, cost, by, cost.Peak)}
}

func fleetFor(shapes []GridShape, cost Cost, by LoadAxis, load float64) Fleet {
	f := Fleet{Load: load}
	var best *GridShape
	for i := range shapes {
		s := &shapes[i]
		if s.Capacity < load || s.Capacity == 0 {
			continue
		}
		if best == nil || s.Instances < best.Instances || s.Instances == best.Instances && s.Workers < best.Workers {
			best = s
		}
	}
	if best != nil {
		f.Instances, f.Workers, f.Capacity, f.Basis = best.Instances, best.Workers, best.Capacity, "measured"
	} else if per, workers := bestPerInstance(shapes); per > 0 {
		f.Instances, f.Workers, f.Basis = instancesFor(load, per), workers, "extrapolated"
		f.Capacity = float64(f.Instances) * per
		f.Note = fmt.Sprintf("%d × %s, one instance of %d worker(s) as measured, each on its own machine: no shape measured here held %s",
			f.Instances, formatLoad(per, by), workers, formatLoad(load, by))
	} else {
		f.Note = "no shape measured held any load: there is nothing to size a fleet from"
		return f
	}
	f.Monthly = float64(f.Instances)*cost.InstanceMonthly + cost.RedisMonthly
	return f
}
