package suite

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Limits of a scenario, checked when a suite is parsed.
const (
	MaxUsers      = 100_000
	MaxDuration   = 24 * time.Hour
	MaxThink      = time.Hour
	MaxWarmup     = time.Hour
	MaxStages     = 1000
	MaxSteps      = 1000
	MaxSetupSteps = 100
	MaxActions    = 1000
	MaxStepWeight = 1_000_000
	maxScenarios  = 1000
)

// scenarios reads the list of scenarios.
func (w *walker) scenarios(n *yaml.Node, s *Suite) []*Scenario {
	items, ok := w.list(n, "scenarios")
	if !ok {
		return nil
	}
	if len(items) == 0 {
		w.at(w.resolve(n), "scenarios must list at least one scenario")
		return nil
	}
	if len(items) > maxScenarios {
		w.at(w.resolve(n), "a suite holds at most %d scenarios, not %d", maxScenarios, len(items))
		return nil
	}
	var out []*Scenario
	names := map[string]int{}
	for _, item := range items {
		sc := w.scenario(item, s)
		if sc == nil {
			continue
		}
		if sc.Name != "" {
			if line, dup := names[sc.Name]; dup {
				w.atPos(sc.Pos.Line, sc.Pos.Column, fmt.Sprintf("scenario name %q is used twice (first at line %d)", sc.Name, line))
			}
			names[sc.Name] = sc.Pos.Line
		}
		out = append(out, sc)
	}
	return out
}

// scenarioNodes holds the value nodes a scenario's cross-field checks point at.
type scenarioNodes struct {
	duration, think, rate, ramp, stages, pick *yaml.Node
	setupRamp                                 *yaml.Node
	setup, steps                              []parsedStep
	data                                      *yaml.Node
	actions                                   []parsedAction
}

// scenario reads one scenario.
func (w *walker) scenario(n *yaml.Node, s *Suite) *Scenario {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	sc := &Scenario{Pick: PickSequence, Pos: w.pos(n)}
	var nodes scenarioNodes
	var ownGates []GateSpec
	seen := w.mapping(n, "scenario", []field{
		{"name", func(v *yaml.Node) { sc.Name, _ = w.name(v, "scenario name") }},
		{"description", func(v *yaml.Node) { sc.Description, _ = w.str(v, "description") }},
		{"users", func(v *yaml.Node) { sc.Users, _ = w.integer(v, "users", 1, MaxUsers) }},
		{"think", func(v *yaml.Node) { nodes.think = v; sc.Think, _ = w.duration(v, "think", 0, MaxThink) }},
		{"duration", func(v *yaml.Node) { nodes.duration = v; sc.Duration, _ = w.duration(v, "duration", 1, MaxDuration) }},
		{"warmup", func(v *yaml.Node) { sc.Warmup, _ = w.duration(v, "warmup", 0, MaxWarmup) }},
		{"setup_ramp", func(v *yaml.Node) { nodes.setupRamp = v; sc.SetupRamp, _ = w.duration(v, "setup_ramp", 0, MaxWarmup) }},
		{"rate", func(v *yaml.Node) {
			nodes.rate = v
			if r, ok := w.rate(v, "rate"); ok {
				sc.Load = LoadModel{Kind: Constant, Rate: r}
			}
		}},
		{"ramp", func(v *yaml.Node) { nodes.ramp = v; w.ramp(v, &sc.Load) }},
		{"stages", func(v *yaml.Node) { nodes.stages = v; w.stages(v, &sc.Load) }},
		{"setup", func(v *yaml.Node) { nodes.setup = w.steps(v, "setup", 0, MaxSetupSteps) }},
		{"steps", func(v *yaml.Node) { nodes.steps = w.steps(v, "steps", 1, MaxSteps) }},
		{"pick", func(v *yaml.Node) { nodes.pick = v; sc.Pick = w.pick(v) }},
		{"actions", func(v *yaml.Node) { nodes.actions = w.actions(v) }},
		{"autoscale", func(v *yaml.Node) { sc.Autoscale = w.autoscale(v, s.Stack) }},
		{"recovery", func(v *yaml.Node) { sc.Recovery = w.recovery(v) }},
		{"gates", func(v *yaml.Node) { ownGates = w.gates(v) }},
		{"data", func(v *yaml.Node) { nodes.data = v; sc.Data = w.data(v) }},
	})
	if seen == nil {
		return nil
	}
	what := "a scenario"
	if sc.Name != "" {
		what = "scenario " + strconv.Quote(sc.Name)
	}
	w.require(n, what, seen, "name", "users", "steps")
	w.loadModel(n, what, sc, &nodes)
	sc.Setup = w.checkSteps(nodes.setup, s, sc, true)
	if nodes.setupRamp == nil {
		sc.SetupRamp = DefaultSetupRamp(sc.Users)
	}
	sc.Steps = w.checkSteps(nodes.steps, s, sc, false)
	w.checkHoles(sc, &nodes)
	sc.Actions = w.checkActions(nodes.actions, s, sc)
	sc.Gates = append(slices.Clone(s.Gates), ownGates...)
	return sc
}

// loadModel checks that at most one open model was given and that the
// durations agree with it.
func (w *walker) loadModel(n *yaml.Node, what string, sc *Scenario, nodes *scenarioNodes) {
	var given []*yaml.Node
	for _, v := range []*yaml.Node{nodes.rate, nodes.ramp, nodes.stages} {
		if v != nil {
			given = append(given, v)
		}
	}
	if len(given) > 1 {
		w.at(w.resolve(given[1]), "rate, ramp and stages are alternatives: give only one")
	}
	if nodes.think != nil && len(given) > 0 {
		w.at(w.resolve(nodes.think), "think applies to the closed model only (no rate, ramp or stages)")
	}
	if nodes.stages != nil && sc.Load.Kind == Staged {
		var total time.Duration
		for _, st := range sc.Load.Stages {
			total += st.Duration
		}
		switch {
		case total > MaxDuration:
			w.at(w.resolve(nodes.stages), "stages add up to %s, more than %s", total, fmtDuration(MaxDuration))
		case nodes.duration == nil:
			sc.Duration = total
		case sc.Duration != 0 && sc.Duration != total:
			w.at(w.resolve(nodes.duration), "duration %s differs from the stages' total %s: omit it", sc.Duration, total)
		}
		return
	}
	if nodes.duration == nil && nodes.stages == nil {
		w.at(n, "%s needs duration", what)
	}
}

// ramp reads {from, to}.
func (w *walker) ramp(n *yaml.Node, m *LoadModel) {
	var from, to Rate
	okFrom, okTo := false, false
	seen := w.mapping(n, "ramp", []field{
		{"from", func(v *yaml.Node) { from, okFrom = w.rate(v, "ramp from") }},
		{"to", func(v *yaml.Node) { to, okTo = w.rate(v, "ramp to") }},
	})
	w.require(n, "ramp", seen, "from", "to")
	if okFrom && okTo {
		*m = LoadModel{Kind: Ramp, From: from, To: to}
	}
}

// stages reads a list of {rate, duration}.
func (w *walker) stages(n *yaml.Node, m *LoadModel) {
	items, ok := w.list(n, "stages")
	if !ok {
		return
	}
	if len(items) == 0 || len(items) > MaxStages {
		w.at(w.resolve(n), "stages must list 1..%d stages, not %d", MaxStages, len(items))
		return
	}
	stages := make([]Stage, 0, len(items))
	valid := true
	for _, item := range items {
		var st Stage
		okRate, okDur := false, false
		seen := w.mapping(item, "a stage", []field{
			{"rate", func(v *yaml.Node) { st.Rate, okRate = w.rate(v, "stage rate") }},
			{"duration", func(v *yaml.Node) { st.Duration, okDur = w.duration(v, "stage duration", 1, MaxDuration) }},
		})
		w.require(item, "a stage", seen, "rate", "duration")
		valid = valid && okRate && okDur
		stages = append(stages, st)
	}
	if valid {
		*m = LoadModel{Kind: Staged, Stages: stages}
	}
}

// pick reads "sequence" or "weighted".
func (w *walker) pick(n *yaml.Node) Pick {
	s, ok := w.scalar(n, "pick")
	if !ok {
		return PickSequence
	}
	switch p := Pick(s.Value); p {
	case PickSequence, PickWeighted:
		return p
	default:
		w.at(s, "pick must be sequence or weighted, not %s%s", describe(s),
			didYouMean(s.Value, []string{string(PickSequence), string(PickWeighted)}))
		return PickSequence
	}
}
