package capacity

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Bounds of a grid axis: the stack shape's own bounds, and few enough
// shapes that a grid of short searches ends in minutes.
const (
	maxGridValue  = 64
	maxGridShapes = 16
)

// FormulaTolerance is how far below the seed's formula a measured capacity
// may fall before the formula is said to stop holding: 20%.
const FormulaTolerance = 0.2

// Grid is the set of stack shapes a capacity plan measures: every
// combination of its workers per instance and instances. An empty axis
// keeps the suite's value.
type Grid struct {
	Workers   []int `json:"workers"`
	Instances []int `json:"instances"`
}

// ParseGrid reads axes written as "workers=1,2,4" and "instances=1,2,3",
// one or several per argument (separated by spaces), as `loadtest capacity
// --grid` takes them. Every problem is reported at once.
func ParseGrid(specs ...string) (Grid, error) {
	var g Grid
	var errs []error
	seen := map[string]bool{}
	for _, spec := range specs {
		for _, axis := range strings.Fields(spec) {
			name, list, ok := strings.Cut(axis, "=")
			if !ok {
				errs = append(errs, fmt.Errorf("grid axis %q: want NAME=V1,V2 (workers or instances)", truncateNote(axis, 40)))
				continue
			}
			var dst *[]int
			switch name {
			case "workers":
				dst = &g.Workers
			case "instances":
				dst = &g.Instances
			default:
				errs = append(errs, fmt.Errorf("grid axis %q: unknown axis, want workers or instances", truncateNote(name, 40)))
				continue
			}
			if seen[name] {
				errs = append(errs, fmt.Errorf("grid axis %s is given twice", name))
				continue
			}
			seen[name] = true
			values, err := parseGridValues(list)
			if err != nil {
				errs = append(errs, fmt.Errorf("grid axis %s: %w", name, err))
				continue
			}
			*dst = values
		}
	}
	if len(g.Workers) == 0 && len(g.Instances) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("grid: no axis given (want workers=1,2,4 instances=1,2,3)"))
	}
	if n := max(len(g.Workers), 1) * max(len(g.Instances), 1); n > maxGridShapes {
		errs = append(errs, fmt.Errorf("grid: %d shapes, at most %d", n, maxGridShapes))
	}
	return g, errors.Join(errs...)
}

// parseGridValues reads "1,2,4": distinct whole numbers in 1..64, sorted.
func parseGridValues(list string) ([]int, error) {
	var values []int
	for _, field := range strings.Split(list, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(field))
		if err != nil || v < 1 || v > maxGridValue {
			return nil, fmt.Errorf("%q is not a whole number in 1..%d", truncateNote(field, 20), maxGridValue)
		}
		if slices.Contains(values, v) {
			return nil, fmt.Errorf("%d is given twice", v)
		}
		values = append(values, v)
	}
	slices.Sort(values)
	return values, nil
}

// GridConfig is a capacity plan: a capacity search per shape of the grid,
// and optionally the fleet and its cost.
type GridConfig struct {
	// Capacity is the search run on every shape; its Shape is ignored and
	// its Search.Start replaced by the formula's prediction.
	Capacity Config
	Grid     Grid
	// Cost, when set, asks for the fleet that holds its target and peak.
	Cost *Cost
}

// GridShape is one shape's measured capacity next to the seed's formula.
type GridShape struct {
	Workers   int     `json:"workers"`
	Instances int     `json:"instances"`
	Capacity  float64 `json:"capacity"`
	Confirmed bool    `json:"confirmed"`
	LastPass  float64 `json:"last_pass"`
	FirstFail float64 `json:"first_fail"`
	LimitedBy string  `json:"limited_by"`
	// Formula is workers × per-worker capacity × instances.
	Formula float64 `json:"formula"`
	// Ratio is Capacity / Formula; Holds says it is at least 1 - FormulaTolerance.
	Ratio       float64 `json:"ratio"`
	Holds       bool    `json:"holds"`
	Knee        *Knee   `json:"knee,omitempty"`
	WallSeconds float64 `json:"wall_seconds"`
}

// GridResult is the capacity plan: measured capacity per shape, the seed's
// arithmetic next to it, where it stops holding, and the fleet.
type GridResult struct {
	Suite    string   `json:"suite"`
	Scenario string   `json:"scenario"`
	By       LoadAxis `json:"by"`
	Unit     string   `json:"unit"`
	CPUs     int      `json:"cpus"`
	// PerWorker is the capacity of one worker, measured on the smallest
	// shape (1 instance × 1 worker when the grid has it); PerWorkerFrom says
	// which.
	PerWorker     float64     `json:"per_worker"`
	PerWorkerFrom string      `json:"per_worker_from"`
	Shapes        []GridShape `json:"shapes"`
	// StopsHolding names the shape, in order of the formula's prediction,
	// from which on every shape measured falls short of the formula by more
	// than FormulaTolerance; "" when the largest shape still holds. Shorter
	// misses below it (noise, or a shape that suits the machine badly) are
	// in ShortOf.
	StopsHolding string    `json:"stops_holding"`
	ShortOf      []string  `json:"short_of,omitempty"`
	Findings     []string  `json:"findings"`
	Plan         *CostPlan `json:"plan,omitempty"`
	// Searches are the full searches, shape by shape.
	Searches    []Result `json:"searches"`
	WallSeconds float64  `json:"wall_seconds"`
}

// RunGrid runs a capacity search on every shape of the grid, one stack at
// a time, smallest first: the smallest gives the per-worker capacity, and
// every later search starts at the formula's prediction, so a formula that
// holds costs few steps. It returns what it measured with any error.
func RunGrid(ctx context.Context, cfg GridConfig) (res GridResult, err error) {
	started := time.Now()
	base := cfg.Capacity
	if base.Suite == nil {
		return GridResult{}, errors.New("grid: no suite")
	}
	plan, err := newCapacityPlan(base)
	if err != nil {
		return GridResult{}, err
	}
	if cfg.Cost != nil && cfg.Cost.Unit != "" && cfg.Cost.Unit != plan.by.Unit() {
		return GridResult{}, fmt.Errorf("grid: the cost's target is in %s but the search is by %s (%s)", cfg.Cost.Unit, plan.by, plan.by.Unit())
	}
	res = GridResult{Suite: base.Suite.Name, Scenario: plan.base.Name, By: plan.by, Unit: plan.by.Unit(), CPUs: runtime.NumCPU()}
	defer func() { res.WallSeconds = time.Since(started).Seconds() }()
	for i, shape := range gridShapes(cfg.Grid, base.Suite.Stack.Workers, base.Suite.Stack.Instances) {
		cc := base
		st := base.Suite.Stack
		st.Workers, st.Instances = shape[0], shape[1]
		cc.Shape = &st
		if res.PerWorker > 0 {
			cc.Search.Start = res.PerWorker * float64(st.Workers*st.Instances)
		}
		search, err := Search(ctx, cc)
		res.Searches = append(res.Searches, search)
		if err != nil {
			res.summarize(cfg.Cost)
			return res, fmt.Errorf("grid shape %d×%d: %w", st.Instances, st.Workers, err)
		}
		if i == 0 {
			res.PerWorker = search.Capacity / float64(st.Workers*st.Instances)
			res.PerWorkerFrom = fmt.Sprintf("%d instance(s) × %d worker(s)", st.Instances, st.Workers)
		}
	}
	res.summarize(cfg.Cost)
	return res, nil
}

// gridShapes lists the grid's [workers, instances] pairs by total workers,
// then by instances, so the smallest shape comes first.
func gridShapes(g Grid, defaultWorkers, defaultInstances int) [][2]int {
	workers, instances := g.Workers, g.Instances
	if len(workers) == 0 {
		workers = []int{defaultWorkers}
	}
	if len(instances) == 0 {
		instances = []int{defaultInstances}
	}
	var shapes [][2]int
	for _, w := range workers {
		for _, n := range instances {
			shapes = append(shapes, [2]int{w, n})
		}
	}
	slices.SortStableFunc(shapes, func(a, b [2]int) int {
		if d := a[0]*a[1] - b[0]*b[1]; d != 0 {
			return d
		}
		return a[1] - b[1]
	})
	return shapes
}

// summarize sets the formula beside every shape, finds where it stops
// holding, states the findings and plans the fleet.
func (r *GridResult) summarize(cost *Cost) {
	r.Shapes = r.Shapes[:0]
	for _, s := range r.Searches {
		gs := GridShape{
			Workers: s.Shape.Workers, Instances: s.Shape.Instances, Capacity: s.Capacity, Confirmed: s.Confirmed,
			LastPass: s.LastPass, FirstFail: s.FirstFail, LimitedBy: s.LimitedBy, Knee: s.Knee, WallSeconds: s.WallSeconds,
			Formula: r.PerWorker * float64(s.Shape.Workers*s.Shape.Instances),
		}
		if gs.Formula > 0 {
			gs.Ratio = gs.Capacity / gs.Formula
			gs.Holds = gs.Ratio >= 1-FormulaTolerance
		}
		r.Shapes = append(r.Shapes, gs)
	}
	r.StopsHolding, r.ShortOf, r.Findings = "", nil, nil
	if r.PerWorker > 0 {
		r.formulaFindings()
		if !r.Shapes[0].Confirmed {
			r.Findings = append(r.Findings, fmt.Sprintf("the per-worker capacity (%s, on %s) was not confirmed by its longer run: "+
				"the formula's base is an upper estimate", formatLoad(r.PerWorker, r.By), r.PerWorkerFrom))
		}
	} else if len(r.Searches) > 0 {
		r.Findings = append(r.Findings, "no per-worker capacity: the smallest shape passed no load, so the formula has nothing to scale")
	}
	r.Findings = append(r.Findings, fmt.Sprintf(
		"every instance and worker here shares the same %d CPU core(s) with the balancer, Redis and the load generator: "+
			"the formula assumes each instance brings its own CPUs, so its linearity cannot hold on this machine; "+
			"past the shape that keeps the cores busy, more workers or instances add processes, not capacity", r.CPUs))
	r.Findings = append(r.Findings, "on separate machines the next shared limits are the one Redis and the balancer, which every instance uses")
	if cost != nil {
		plan := planFleet(r.Shapes, *cost, r.By)
		r.Plan = &plan
	}
}

// formulaFindings says where the formula stops holding and where the
// measured capacity stops growing.
func (r *GridResult) formulaFindings() {
	byFormula := slices.Clone(r.Shapes)
	slices.SortStableFunc(byFormula, func(a, b GridShape) int {
		switch {
		case a.Formula < b.Formula:
			return -1
		case a.Formula > b.Formula:
			return 1
		}
		return 0
	})
	describe := func(s GridShape) string {
		return fmt.Sprintf("%d instance(s) × %d worker(s): measured %s, formula %s (%.0f%%)",
			s.Instances, s.Workers, formatLoad(s.Capacity, r.By), formatLoad(s.Formula, r.By), 100*s.Ratio)
	}
	from := len(byFormula)
	for from > 0 && !byFormula[from-1].Holds {
		from--
	}
	if from < len(byFormula) {
		r.StopsHolding = describe(byFormula[from])
	}
	for _, s := range byFormula[:from] {
		if !s.Holds {
			r.ShortOf = append(r.ShortOf, describe(s))
		}
	}
	switch {
	case r.StopsHolding == "":
		r.Findings = append(r.Findings, fmt.Sprintf("the formula workers × %s × instances held within %.0f%% up to the largest shape measured",
			formatLoad(r.PerWorker, r.By), 100*FormulaTolerance))
	default:
		r.Findings = append(r.Findings, fmt.Sprintf("the formula workers × %s × instances stops holding at %s; every larger shape measured falls short of it by more than %.0f%% too",
			formatLoad(r.PerWorker, r.By), r.StopsHolding, 100*FormulaTolerance))
	}
	for _, s := range r.ShortOf {
		r.Findings = append(r.Findings, "also short of the formula, below that: "+s)
	}
	// The plateau: the most any shape held, and the smallest shape within
	// 10% of it.
	var most GridShape
	for _, s := range r.Shapes {
		if s.Capacity > most.Capacity {
			most = s
		}
	}
	for _, s := range r.Shapes { // ordered by total workers
		if most.Capacity > 0 && s.Capacity >= 0.9*most.Capacity {
			r.Findings = append(r.Findings, fmt.Sprintf(
				"the measured capacity levels off at about %s: %d instance(s) × %d worker(s) already holds %s, and no shape measured holds more than %s",
				formatLoad(most.Capacity, r.By), s.Instances, s.Workers, formatLoad(s.Capacity, r.By), formatLoad(most.Capacity, r.By)))
			break
		}
	}
}

// bestPerInstance is the capacity of one instance with the workers that
// hold the most, from the shapes of one instance; 0 and 0 when none.
func bestPerInstance(shapes []GridShape) (capacity float64, workers int) {
	for _, s := range shapes {
		if s.Instances == 1 && s.Capacity > capacity {
			capacity, workers = s.Capacity, s.Workers
		}
	}
	return capacity, workers
}

// instancesFor is how many instances of perInstance capacity hold load.
func instancesFor(load, perInstance float64) int {
	if perInstance <= 0 {
		return 0
	}
	return int(math.Ceil(load/perInstance - 1e-9))
}
