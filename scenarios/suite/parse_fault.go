package suite

import (
	"loadharness"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Kinds of fault on the link between the target's instances and Redis
// (loadharness.ActionFault).
const (
	// FaultLatency delays Redis's answers by Latency ± Jitter.
	FaultLatency = "latency"
	// FaultBandwidth limits Redis's answers to KBps kilobytes a second.
	FaultBandwidth = "bandwidth"
	// FaultResetPeer resets every connection after Timeout (0: at once).
	FaultResetPeer = "reset_peer"
	// FaultTimeout stops all data and closes connections after Timeout
	// (0: holds them open, silent, until the fault ends).
	FaultTimeout = "timeout"
	// FaultDown takes Redis off the network: connections are closed and
	// new ones refused.
	FaultDown = "down"
)

// FaultKinds lists every kind of fault.
var FaultKinds = []string{FaultLatency, FaultBandwidth, FaultResetPeer, FaultTimeout, FaultDown}

// Fault is a fault on the Redis link, switched on by one action and off by
// another the parser adds For later.
type Fault struct {
	// Kind is one of FaultKinds.
	Kind string
	// Latency and Jitter are the delay of FaultLatency.
	Latency, Jitter time.Duration
	// KBps is the bandwidth of FaultBandwidth, in KB a second.
	KBps int
	// Timeout is the delay of FaultResetPeer and FaultTimeout.
	Timeout time.Duration
	// For is how long the fault lasts.
	For time.Duration
	// Off marks the action that ends the fault.
	Off bool
}

// String describes the fault for events, for example "latency 200ms ±50ms".
func (f Fault) String() string {
	s := f.Kind
	switch f.Kind {
	case FaultLatency:
		s += " " + f.Latency.String()
		if f.Jitter > 0 {
			s += " ±" + f.Jitter.String()
		}
	case FaultBandwidth:
		s += " " + strconv.Itoa(f.KBps) + "KB/s"
	case FaultResetPeer, FaultTimeout:
		if f.Timeout > 0 {
			s += " after " + f.Timeout.String()
		}
	}
	if f.Off {
		s += " off"
	}
	return s
}

// faultNodes are the nodes of a fault action's own fields, for messages.
type faultNodes struct {
	kind, latency, jitter, kbps, timeout, dur *yaml.Node
}

// faultFields are the fields of an action that describe its fault.
func (w *walker) faultFields(pa *parsedAction) []field {
	f := func() *Fault {
		if pa.action.Fault == nil {
			pa.action.Fault = &Fault{}
		}
		return pa.action.Fault
	}
	return []field{
		{"fault", func(v *yaml.Node) {
			pa.fault.kind = v
			s, ok := w.scalar(v, "fault")
			if !ok {
				pa.ok = false
				return
			}
			if !slices.Contains(FaultKinds, s.Value) {
				w.at(s, "fault must be one of %s, not %s%s", strings.Join(FaultKinds, ", "), describe(s), didYouMean(s.Value, FaultKinds))
				pa.ok = false
				return
			}
			f().Kind = s.Value
		}},
		{"latency", func(v *yaml.Node) {
			pa.fault.latency = v
			d, ok := w.duration(v, "latency", time.Millisecond, time.Minute)
			pa.ok = pa.ok && ok
			f().Latency = d
		}},
		{"jitter", func(v *yaml.Node) {
			pa.fault.jitter = v
			d, ok := w.duration(v, "jitter", 0, time.Minute)
			pa.ok = pa.ok && ok
			f().Jitter = d
		}},
		{"kbps", func(v *yaml.Node) {
			pa.fault.kbps = v
			n, ok := w.integer(v, "kbps", 1, 1<<30)
			pa.ok = pa.ok && ok
			f().KBps = n
		}},
		{"timeout", func(v *yaml.Node) {
			pa.fault.timeout = v
			d, ok := w.duration(v, "timeout", 0, time.Hour)
			pa.ok = pa.ok && ok
			f().Timeout = d
		}},
		{"for", func(v *yaml.Node) {
			pa.fault.dur = v
			d, ok := w.duration(v, "for", 100*time.Millisecond, MaxDuration)
			pa.ok = pa.ok && ok
			f().For = d
		}},
	}
}

// checkFault checks a fault action's fields against its kind and returns
// the action that ends it, For later.
func (w *walker) checkFault(pa parsedAction, sc *Scenario) (off Action, ok bool) {
	a := pa.action
	if a.Do != loadharness.ActionFault {
		for _, n := range []*yaml.Node{pa.fault.kind, pa.fault.latency, pa.fault.jitter, pa.fault.kbps, pa.fault.timeout, pa.fault.dur} {
			if n != nil {
				w.at(w.resolve(n), "%s takes no fault settings: they go with do: fault", a.Do)
				return Action{}, false
			}
		}
		return Action{}, false
	}
	if a.Fault == nil || pa.fault.kind == nil {
		w.at(pa.node, "do: fault needs fault (one of %s)", strings.Join(FaultKinds, ", "))
		return Action{}, false
	}
	f := a.Fault
	if pa.fault.dur == nil {
		w.at(pa.node, "fault %s needs for (how long it lasts, for example 5s)", f.Kind)
		return Action{}, false
	}
	only := map[string][]*yaml.Node{
		FaultLatency:   {pa.fault.kbps, pa.fault.timeout},
		FaultBandwidth: {pa.fault.latency, pa.fault.jitter, pa.fault.timeout},
		FaultResetPeer: {pa.fault.latency, pa.fault.jitter, pa.fault.kbps},
		FaultTimeout:   {pa.fault.latency, pa.fault.jitter, pa.fault.kbps},
		FaultDown:      {pa.fault.latency, pa.fault.jitter, pa.fault.kbps, pa.fault.timeout},
	}
	for _, n := range only[f.Kind] {
		if n != nil {
			w.at(w.resolve(n), "fault %s does not take %s", f.Kind, w.keyOf(pa.node, n))
			return Action{}, false
		}
	}
	switch {
	case f.Kind == FaultLatency && pa.fault.latency == nil:
		w.at(pa.node, "fault latency needs latency (for example 200ms)")
		return Action{}, false
	case f.Kind == FaultBandwidth && pa.fault.kbps == nil:
		w.at(pa.node, "fault bandwidth needs kbps (KB a second, for example 16)")
		return Action{}, false
	case f.Jitter > f.Latency && f.Kind == FaultLatency:
		w.at(w.resolve(pa.fault.jitter), "jitter %s must not exceed latency %s", f.Jitter, f.Latency)
		return Action{}, false
	}
	if sc.Duration > 0 && a.At+f.For > sc.Duration {
		w.at(w.resolve(pa.fault.dur), "the fault would end at %s, after the scenario's duration %s: faults end within their scenario", a.At+f.For, sc.Duration)
		return Action{}, false
	}
	end := *f
	end.Off = true
	return Action{At: a.At + f.For, Do: loadharness.ActionFault, Fault: &end}, true
}

// keyOf names the key whose value is v in mapping n.
func (w *walker) keyOf(n, v *yaml.Node) string {
	if n != nil && n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i+1] == v {
				return n.Content[i].Value
			}
		}
	}
	return "this setting"
}
