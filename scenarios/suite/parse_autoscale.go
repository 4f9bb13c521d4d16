package suite

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"loadharness"
)

// maxCPUCores bounds a cpu threshold: a policy on 64 busy cores per
// instance is a typo, not a plan.
const maxCPUCores = 64

// autoscale reads a scaling policy and checks it against the stack.
func (w *walker) autoscale(n *yaml.Node, shape loadharness.StackShape) *Autoscale {
	n = w.resolve(n)
	if n == nil {
		return nil
	}
	a := &Autoscale{For: DefaultScaleOutFor, ScaleInFor: DefaultScaleInFor, Cooldown: DefaultCooldown,
		MinInstances: shape.Instances, Pos: w.pos(n)}
	var above, below, scaleInFor, minNode, maxNode, query *yaml.Node
	okSignal := false
	seen := w.mapping(n, "autoscale", []field{
		{"signal", func(v *yaml.Node) { a.Signal, okSignal = w.signal(v) }},
		{"above", func(v *yaml.Node) { above = v }},
		{"below", func(v *yaml.Node) { below = v }},
		{"for", func(v *yaml.Node) { a.For, _ = w.duration(v, "for", AutoscaleInterval, MaxDuration) }},
		{"scale_in_for", func(v *yaml.Node) {
			scaleInFor = v
			a.ScaleInFor, _ = w.duration(v, "scale_in_for", AutoscaleInterval, MaxDuration)
		}},
		{"cooldown", func(v *yaml.Node) { a.Cooldown, _ = w.duration(v, "cooldown", 0, MaxDuration) }},
		{"min_instances", func(v *yaml.Node) { minNode = v; a.MinInstances, _ = w.integer(v, "min_instances", 1, 64) }},
		{"max_instances", func(v *yaml.Node) { maxNode = v; a.MaxInstances, _ = w.integer(v, "max_instances", 1, 64) }},
		{"query", func(v *yaml.Node) {
			query = v
			if q, ok := w.str(v, "query"); ok {
				r := w.resolve(v)
				a.Query, a.QueryPos = q, w.pos(r)
				if r.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
					a.QueryPos.Column++ // the expression starts after the quote
				}
			}
		}},
	})
	if seen == nil {
		return nil
	}
	w.require(n, "autoscale", seen, "signal", "above", "max_instances")
	switch {
	case okSignal && a.Signal == SignalPromQL && query == nil:
		w.at(n, "signal promql needs query: the PromQL expression to watch, such as avg(rate(process_cpu_seconds_total{job=\"target\"}[30s]))")
	case okSignal && a.Signal == SignalPromQL && strings.TrimSpace(a.Query) == "" && query != nil:
		w.at(w.resolve(query), "query must be a PromQL expression, not empty")
	case query != nil && okSignal && a.Signal != SignalPromQL:
		w.at(w.resolve(query), "query goes with signal: promql, not %s", a.Signal)
	}
	okAbove := false
	if okSignal && above != nil {
		a.Above, okAbove = w.threshold(above, "above", a.Signal)
	}
	if okSignal && below != nil {
		var ok bool
		if a.Below, ok = w.threshold(below, "below", a.Signal); ok && okAbove && a.Below >= a.Above {
			w.at(w.resolve(below), "below (%s) must be less than above (%s)", a.Signal.Format(a.Below), a.Signal.Format(a.Above))
		}
	}
	if scaleInFor != nil && below == nil {
		w.at(w.resolve(scaleInFor), "scale_in_for needs below (the threshold to scale in under)")
	}
	if shape.Instances >= 1 {
		if minNode != nil && a.MinInstances > shape.Instances {
			w.at(w.resolve(minNode), "min_instances %d is more than the stack's %d instances it starts with", a.MinInstances, shape.Instances)
		}
		if maxNode != nil && a.MaxInstances > 0 && a.MaxInstances < shape.Instances {
			w.at(w.resolve(maxNode), "max_instances %d is less than the stack's %d instances it starts with", a.MaxInstances, shape.Instances)
		}
	}
	return a
}

// signal reads p95, queue_depth or cpu.
func (w *walker) signal(n *yaml.Node) (Signal, bool) {
	s, ok := w.scalar(n, "signal")
	if !ok {
		return "", false
	}
	if !slices.Contains(Signals, Signal(s.Value)) {
		names := make([]string, len(Signals))
		for i, sig := range Signals {
			names[i] = string(sig)
		}
		w.at(s, "signal must be one of %s, not %s%s", strings.Join(names, ", "), describe(s), didYouMean(s.Value, names))
		return "", false
	}
	return Signal(s.Value), true
}

// threshold reads a policy threshold in the signal's unit: a duration for
// p95, a number of requests for queue_depth, a percentage of one core or
// a number of cores for cpu. It must be above zero.
func (w *walker) threshold(n *yaml.Node, name string, sig Signal) (float64, bool) {
	s, ok := w.scalar(n, name)
	if !ok {
		return 0, false
	}
	switch sig {
	case SignalP95:
		d, ok := w.duration(s, name, time.Millisecond, time.Hour)
		return float64(d) / float64(time.Millisecond), ok
	case SignalQueueDepth:
		v, err := strconv.ParseFloat(s.Value, 64)
		if err != nil || !isFinitePositive(v) || v > MaxUsers {
			w.at(s, "%s for queue_depth must be a number of waiting requests above 0, not %s", name, describe(s))
			return 0, false
		}
		return v, true
	case SignalPromQL:
		text, percent := strings.CutSuffix(strings.TrimSpace(s.Value), "%")
		v, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if percent {
			v /= 100
		}
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			w.at(s, "%s for promql must be a number in the query's unit (or a percentage), not %s", name, describe(s))
			return 0, false
		}
		return v, true
	case SignalCPU:
		text, percent := strings.CutSuffix(strings.TrimSpace(s.Value), "%")
		v, err := strconv.ParseFloat(strings.TrimSpace(text), 64)
		if percent {
			v /= 100
		}
		if err != nil || !isFinitePositive(v) || v > maxCPUCores {
			w.at(s, "%s for cpu must be a share of one core such as 60%% (or 0.6), above 0 and at most %d cores, not %s",
				name, maxCPUCores, describe(s))
			return 0, false
		}
		return v, true
	}
	return 0, false
}

// recovery reads {p95, for}.
func (w *walker) recovery(n *yaml.Node) Recovery {
	var r Recovery
	w.mapping(n, "recovery", []field{
		{"p95", func(v *yaml.Node) { r.P95, _ = w.duration(v, "p95", time.Millisecond, time.Hour) }},
		{"for", func(v *yaml.Node) { r.For, _ = w.duration(v, "for", time.Second, time.Hour) }},
	})
	return r
}
