package suite

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Default safety rails: a suite must say so on purpose to go past them.
const (
	// DefaultAbortErrorRate is the share of failed requests (0..1) above
	// which a run is aborted once it has lasted DefaultAbortFor.
	DefaultAbortErrorRate = 0.5
	// DefaultAbortFor is how long the error rate must stay above the
	// threshold before the run is aborted.
	DefaultAbortFor = 10 * time.Second
	// DefaultMaxRate caps a scenario's request rate.
	DefaultMaxRate Rate = 2000
	// DefaultMaxUsers caps a scenario's users.
	DefaultMaxUsers = 1000
	// DefaultMaxDuration caps a scenario's warm-up plus duration.
	DefaultMaxDuration = 10 * time.Minute
)

// AbortRule stops a run early when the target keeps failing, so a run never
// keeps hammering a dying system (k6's abortOnFail).
type AbortRule struct {
	// Off disables the rule (`abort: off`).
	Off bool
	// ErrorRate is the share of failed requests, in (0, 1], that each second
	// of the window must exceed.
	ErrorRate float64
	// For is the window: that many consecutive seconds above ErrorRate.
	For time.Duration
}

// DefaultAbortRule is the rule of a suite that says nothing.
var DefaultAbortRule = AbortRule{ErrorRate: DefaultAbortErrorRate, For: DefaultAbortFor}

// String describes the rule for people, for example "error rate > 50% for 10s".
func (r AbortRule) String() string {
	if r.Off {
		return "off"
	}
	return fmt.Sprintf("error rate > %s%% for %s", strconv.FormatFloat(r.ErrorRate*100, 'f', -1, 64), r.For)
}

// Limits cap how hard a suite may push; a suite raises them on purpose
// (`limits: {max_rate: 5000/s}`) so that a typo never becomes a storm.
type Limits struct {
	MaxRate     Rate
	MaxUsers    int
	MaxDuration time.Duration
}

// DefaultLimits are the caps of a suite that says nothing.
var DefaultLimits = Limits{MaxRate: DefaultMaxRate, MaxUsers: DefaultMaxUsers, MaxDuration: DefaultMaxDuration}

// abort reads `abort: off` or `abort: {error_rate: 50%, for: 10s}`.
func (w *walker) abort(n *yaml.Node, r *AbortRule) {
	n = w.resolve(n)
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode {
		switch strings.ToLower(n.Value) {
		case "off", "false", "no":
			*r = AbortRule{Off: true}
		default:
			w.at(n, "abort must be off or a mapping like {error_rate: 50%%, for: 10s}, not %s", describe(n))
		}
		return
	}
	w.mapping(n, "abort", []field{
		{"error_rate", func(v *yaml.Node) {
			if f, ok := w.percent(v, "error_rate"); ok {
				r.ErrorRate = f
			}
		}},
		{"for", func(v *yaml.Node) {
			if d, ok := w.duration(v, "for", time.Second, time.Hour); ok {
				r.For = d
			}
		}},
	})
}

// percent reads "N%" with 0 < N <= 100 as a share in (0, 1].
func (w *walker) percent(n *yaml.Node, name string) (float64, bool) {
	s, ok := w.scalar(n, name)
	if !ok {
		return 0, false
	}
	num, hasPct := strings.CutSuffix(strings.TrimSpace(s.Value), "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if !hasPct || err != nil || math.IsNaN(f) || f <= 0 || f > 100 {
		w.at(s, "%s must be a percentage in (0%%, 100%%] like 50%%, not %s", name, describe(s))
		return 0, false
	}
	return f / 100, true
}

// limits reads `limits: {max_rate: 5000/s, max_users: 2000, max_duration: 30m}`.
func (w *walker) limits(n *yaml.Node, l *Limits) {
	w.mapping(n, "limits", []field{
		{"max_rate", func(v *yaml.Node) {
			if r, ok := w.rate(v, "max_rate"); ok {
				l.MaxRate = r
			}
		}},
		{"max_users", func(v *yaml.Node) {
			if u, ok := w.integer(v, "max_users", 1, MaxUsers); ok {
				l.MaxUsers = u
			}
		}},
		{"max_duration", func(v *yaml.Node) {
			if d, ok := w.duration(v, "max_duration", time.Second, MaxDuration); ok {
				l.MaxDuration = d
			}
		}},
	})
}

// checkLimits reports every scenario that goes past the suite's limits, at
// the scenario, saying which limit to raise.
func (w *walker) checkLimits(s *Suite) {
	for _, sc := range s.Scenarios {
		if sc == nil {
			continue
		}
		name := strconv.Quote(sc.Name)
		if sc.Users > s.Limits.MaxUsers {
			w.atPos(sc.Pos.Line, sc.Pos.Column, fmt.Sprintf("scenario %s: users %d is above the limit of %d: raise limits.max_users on purpose to run it",
				name, sc.Users, s.Limits.MaxUsers))
		}
		if peak := peakRate(sc.Load); peak > s.Limits.MaxRate {
			w.atPos(sc.Pos.Line, sc.Pos.Column, fmt.Sprintf("scenario %s: rate %s is above the limit of %s: raise limits.max_rate on purpose to run it",
				name, peak, s.Limits.MaxRate))
		}
		if total := sc.Warmup + sc.Duration; total > s.Limits.MaxDuration {
			w.atPos(sc.Pos.Line, sc.Pos.Column, fmt.Sprintf("scenario %s: warm-up plus duration %s is above the limit of %s: raise limits.max_duration on purpose to run it",
				name, total, fmtDuration(s.Limits.MaxDuration)))
		}
	}
}

// peakRate is the highest rate a load model asks for; 0 for a closed model.
func peakRate(m LoadModel) Rate {
	switch m.Kind {
	case Constant:
		return m.Rate
	case Ramp:
		return max(m.From, m.To)
	case Staged:
		var peak Rate
		for _, st := range m.Stages {
			peak = max(peak, st.Rate)
		}
		return peak
	}
	return 0
}
