package suite

import (
	"fmt"
	"loadharness"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// parsedAction is an action with the nodes its checks point at.
type parsedAction struct {
	action             Action
	node, at, instance *yaml.Node
	fault              faultNodes
	ok                 bool
}

// actions reads a list of timed actions.
func (w *walker) actions(n *yaml.Node) []parsedAction {
	items, ok := w.list(n, "actions")
	if !ok {
		return nil
	}
	if len(items) > MaxActions {
		w.at(w.resolve(n), "actions must list at most %d actions, not %d", MaxActions, len(items))
		return nil
	}
	var out []parsedAction
	for _, item := range items {
		pa := parsedAction{node: w.resolve(item), ok: true}
		seen := w.mapping(item, "an action", append([]field{
			{"at", func(v *yaml.Node) {
				pa.at = v
				var ok bool
				if pa.action.At, ok = w.duration(v, "at", 0, MaxDuration); !ok {
					pa.ok = false
				}
			}},
			{"do", func(v *yaml.Node) {
				s, ok := w.scalar(v, "do")
				if !ok {
					pa.ok = false
					return
				}
				kinds := actionKindNames()
				if !slices.Contains(kinds, s.Value) {
					w.at(s, "do must be one of %s, not %s%s", strings.Join(kinds, ", "), describe(s), didYouMean(s.Value, kinds))
					pa.ok = false
					return
				}
				pa.action.Do = loadharness.ActionKind(s.Value)
			}},
			{"instance", func(v *yaml.Node) {
				pa.instance = v
				var ok bool
				if pa.action.Instance, ok = w.integer(v, "instance", 1, 64); !ok {
					pa.ok = false
				}
			}},
		}, w.faultFields(&pa)...))
		if seen == nil {
			continue
		}
		w.require(item, "an action", seen, "at", "do")
		out = append(out, pa)
	}
	return out
}

// checkActions checks actions against the scenario's duration and the
// stack's instances, and sorts them by time.
func (w *walker) checkActions(list []parsedAction, s *Suite, sc *Scenario) []Action {
	var out []Action
	adds := 0
	for _, pa := range list {
		if pa.action.Do == loadharness.ActionAddInstance || pa.action.Do == loadharness.ActionReplaceInstance {
			adds++ // a replacement starts a new instance too
		}
	}
	for _, pa := range list {
		a := pa.action
		if !pa.ok || a.Do == "" {
			continue
		}
		if pa.at != nil && sc.Duration > 0 && a.At >= sc.Duration {
			w.at(w.resolve(pa.at), "at %s is not within the scenario's duration %s", a.At, sc.Duration)
		}
		switch {
		case a.Do.NeedsInstance() && pa.instance == nil:
			w.at(pa.node, "%s needs instance (1..%d)", a.Do, s.Stack.Instances+adds)
		case !a.Do.NeedsInstance() && pa.instance != nil:
			w.at(w.resolve(pa.instance), "%s acts on no particular instance: remove instance", a.Do)
		case a.Do.NeedsInstance() && s.Stack.Instances >= 1 && a.Instance > s.Stack.Instances+adds:
			w.at(w.resolve(pa.instance), "instance %d does not exist: the stack has %s", a.Instance, instancesPhrase(s.Stack.Instances, adds))
		}
		if off, ok := w.checkFault(pa, sc); ok {
			out = append(out, a, off)
			continue
		}
		if a.Do == loadharness.ActionFault {
			continue // reported by checkFault
		}
		out = append(out, a)
	}
	// Stable, so that two actions at the same time keep the file's order.
	sortActions(out)
	return out
}

// instancesPhrase says how many instances a stack can have.
func instancesPhrase(instances, adds int) string {
	s := strconv.Itoa(instances) + " instance"
	if instances != 1 {
		s += "s"
	}
	if adds > 0 {
		s += fmt.Sprintf(" and adds %d", adds)
	}
	return s
}

// actionKindNames are the kinds of timed actions as a suite writes them.
func actionKindNames() []string {
	names := make([]string, len(loadharness.ActionKinds))
	for i, k := range loadharness.ActionKinds {
		names[i] = string(k)
	}
	return names
}
