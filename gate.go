package loadharness

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Op compares a measured value with a gate's threshold.
type Op uint8

// The comparison operators a gate may use. The zero Op is invalid so that a
// Gate built by hand without an operator never passes.
const (
	OpLess Op = iota + 1
	OpLessEqual
	OpGreater
	OpGreaterEqual
	OpEqual
	OpNotEqual
)

var opSymbols = map[Op]string{
	OpLess:         "<",
	OpLessEqual:    "<=",
	OpGreater:      ">",
	OpGreaterEqual: ">=",
	OpEqual:        "==",
	OpNotEqual:     "!=",
}

// String returns the operator as written in a gate, for example "<=".
func (o Op) String() string {
	if s, ok := opSymbols[o]; ok {
		return s
	}
	return fmt.Sprintf("op(%d)", uint8(o))
}

// Holds reports whether measured op threshold is true.
func (o Op) Holds(measured, threshold float64) bool {
	switch o {
	case OpLess:
		return measured < threshold
	case OpLessEqual:
		return measured <= threshold
	case OpGreater:
		return measured > threshold
	case OpGreaterEqual:
		return measured >= threshold
	case OpEqual:
		return measured == threshold
	case OpNotEqual:
		return measured != threshold
	default:
		return false
	}
}

// DecidedByLowerBound reports whether a gate whose true value is at least
// lower is decided whatever more there was: a failure for <, <= and ==
// once lower is past the threshold, a pass for > and >= once lower holds,
// and a pass for != once lower is above the threshold. A counter that was
// reset (a worker restarted) gives such a bound: what it counted between
// its last reading and the reset was never seen.
func (o Op) DecidedByLowerBound(lower, threshold float64) bool {
	switch o {
	case OpLess, OpLessEqual:
		return !o.Holds(lower, threshold)
	case OpGreater, OpGreaterEqual:
		return o.Holds(lower, threshold)
	case OpEqual, OpNotEqual:
		return lower > threshold
	default:
		return false
	}
}

// Margin is how far measured is from failing the comparison, in the
// threshold's unit: positive is headroom, negative is by how much it failed.
// For == it is -|measured-threshold| (0 at best); for != it is the distance.
func (o Op) Margin(measured, threshold float64) float64 {
	m := o.margin(measured, threshold)
	// A margin must stay JSON-encodable and must not print as "-0".
	switch {
	case m == 0:
		return 0
	case math.IsInf(m, 1):
		return math.MaxFloat64
	case math.IsInf(m, -1):
		return -math.MaxFloat64
	}
	return m
}

// margin is Margin before it is made JSON-encodable, so that an infinite
// value still compares as the worst.
func (o Op) margin(measured, threshold float64) float64 {
	var m float64
	switch o {
	case OpLess, OpLessEqual:
		m = threshold - measured
	case OpGreater, OpGreaterEqual:
		m = measured - threshold
	case OpEqual:
		m = -math.Abs(measured - threshold)
	case OpNotEqual:
		m = math.Abs(measured - threshold)
	}
	return m
}

// Worst returns the value of values that holds the comparison with
// threshold by the least or fails it by the most (the least margin): the
// largest for < and <=, the smallest for > and >=, the farthest from the
// threshold for ==, the nearest for !=. A gate judged on many points (every
// point of a PromQL range query) holds only if it holds at that one. NaN
// values are skipped, being no number at all; ok is false when none is
// left, and the gate is then not measured.
func (o Op) Worst(threshold float64, values []float64) (worst float64, ok bool) {
	least := math.Inf(1)
	for _, v := range values {
		if math.IsNaN(v) {
			continue
		}
		if m := o.margin(v, threshold); !ok || m < least {
			worst, least, ok = v, m, true
		}
	}
	return worst, ok
}

// Gate is a criterion on a run's aggregates, such as "p95 < 2s". Build one
// with ParseGate so that its metric, unit and threshold are validated.
type Gate struct {
	// Source is the text the gate was parsed from, kept for messages.
	Source string
	Metric Metric
	// Step restricts the gate to one scenario step; "" means every step.
	Step string
	// Phase is the phase the gate judges; the main phase by default.
	Phase Phase
	Op    Op
	// Threshold is in the metric kind's canonical unit (see MetricKind).
	Threshold float64
}

// String returns the canonical text of the gate; ParseGate reads it back
// into an equal Gate.
func (g Gate) String() string {
	return g.subject() + " " + g.Op.String() + " " + formatThreshold(g.Metric.Kind, g.Threshold)
}

// subject is the left side of the gate: the metric and its selectors.
func (g Gate) subject() string {
	switch {
	case g.Step == "" && g.Phase == PhaseMain:
		return g.Metric.Name
	case g.Phase == PhaseMain:
		return g.Metric.Name + "{step:" + g.Step + "}"
	case g.Step == "":
		return g.Metric.Name + "{phase:" + g.Phase.String() + "}"
	default:
		return g.Metric.Name + "{step:" + g.Step + ",phase:" + g.Phase.String() + "}"
	}
}

// Equal reports whether g and h judge the same thing the same way; it
// ignores Source, which differs between "p95<2s" and "p95 < 2s".
func (g Gate) Equal(h Gate) bool {
	g.Source, h.Source = "", ""
	return g == h
}

// MarshalText writes the canonical text, so gates can sit in YAML and JSON
// as plain strings.
func (g Gate) MarshalText() ([]byte, error) { return []byte(g.String()), nil }

// UnmarshalText parses a gate written as text.
func (g *Gate) UnmarshalText(b []byte) error {
	parsed, err := ParseGate(string(b))
	if err != nil {
		return err
	}
	*g = parsed
	return nil
}

// Scope says which results a measurement covers.
type Scope struct {
	// Scenario names one scenario; "" is the whole run.
	Scenario string
	// Step names one step; "" is every step of the scope's scenario(s).
	Step string
	// Phase is the phase whose results count; the main phase by default.
	Phase Phase
}

// Measurer answers what a gate asks. Aggregates of results answer the
// metrics folded from results; the harness answers the ones scraped from the
// target (Metric.FromTarget). ok is false when the measurer cannot tell, for
// example a latency of a scope that saw no request.
type Measurer interface {
	Measure(m Metric, s Scope) (value float64, ok bool)
}

// MeasurerFunc adapts a function to a Measurer.
type MeasurerFunc func(m Metric, s Scope) (float64, bool)

// Measure calls f(m, s).
func (f MeasurerFunc) Measure(m Metric, s Scope) (float64, bool) { return f(m, s) }

var _ Measurer = MeasurerFunc(nil)

// Measurers asks each measurer in turn and returns the first answer, so the
// harness can put the results' aggregate and the target's counters behind
// one Measurer.
type Measurers []Measurer

// Measure returns the first measurer's answer that is ok.
func (ms Measurers) Measure(m Metric, s Scope) (float64, bool) {
	for _, measurer := range ms {
		if v, ok := measurer.Measure(m, s); ok {
			return v, true
		}
	}
	return 0, false
}

var _ Measurer = Measurers(nil)

// GateMeasurer is a Measurer whose answer depends on the whole gate, not
// only on its metric: a PromQL expression gives many points over a window,
// and the one that decides is the worst for the gate's operator and
// threshold (Op.Worst). Gate.Evaluate asks MeasureGate when a measurer has
// it; its Measure may then answer nothing.
type GateMeasurer interface {
	Measurer
	MeasureGate(g Gate, s Scope) (value float64, ok bool)
}

// MeasureGate returns the first answer that is ok, asking a GateMeasurer
// for the gate and any other measurer for its metric.
func (ms Measurers) MeasureGate(g Gate, s Scope) (float64, bool) {
	for _, measurer := range ms {
		if v, ok := measureGate(measurer, g, s); ok {
			return v, true
		}
	}
	return 0, false
}

var _ GateMeasurer = Measurers(nil)

// measureGate asks m for g on s, with the whole gate when m can use it.
func measureGate(m Measurer, g Gate, s Scope) (float64, bool) {
	switch m := m.(type) {
	case nil:
		return 0, false
	case GateMeasurer:
		return m.MeasureGate(g, s)
	default:
		return m.Measure(g.Metric, s)
	}
}

// GateResult is a gate judged on a run: what was measured, whether it held
// and by how much. Its JSON names are a contract with CI users.
type GateResult struct {
	// Scenario is the scenario the gate was judged on; "" is the whole run.
	Scenario string `json:"scenario"`
	// Gate is the gate as parsed; it is written as its canonical text.
	Gate Gate `json:"gate"`
	// Measured, Threshold and Margin are in the canonical Unit.
	Measured  float64 `json:"measured"`
	Unit      string  `json:"unit"`
	Threshold float64 `json:"threshold"`
	Pass      bool    `json:"pass"`
	// Margin is positive headroom or, negative, by how much the gate failed.
	Margin float64 `json:"margin"`
	// Missing means nothing could be measured; such a gate fails, because a
	// gate that cannot be measured must not pass silently.
	Missing bool `json:"missing,omitempty"`
	// Display is the result for people, e.g. "p95 = 734ms (gate < 2s, margin 1.27s)".
	Display string `json:"display"`
}

// Evaluate judges g on scenario ("" for the whole run) with what m
// measures: with the whole gate when m is a GateMeasurer, else with its
// metric.
func (g Gate) Evaluate(scenario string, m Measurer) GateResult {
	r := GateResult{
		Scenario:  scenario,
		Gate:      g,
		Unit:      g.Metric.Kind.Unit(),
		Threshold: g.Threshold,
	}
	v, ok := measureGate(m, g, Scope{Scenario: scenario, Step: g.Step, Phase: g.Phase})
	if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
		r.Missing = true
		r.Display = fmt.Sprintf("%s = n/a (gate %s %s, not measured)",
			g.subject(), g.Op, g.Metric.Kind.Format(g.Threshold))
		return r
	}
	r.Measured = v
	r.Pass = g.Op.Holds(v, g.Threshold)
	r.Margin = g.Op.Margin(v, g.Threshold)
	r.Display = g.display(v, r.Pass, r.Margin)
	return r
}

// display renders a measured gate for people.
func (g Gate) display(v float64, pass bool, margin float64) string {
	k := g.Metric.Kind
	measured, threshold := k.FormatPair(v, g.Threshold)
	var verdict string
	switch {
	case pass:
		verdict = "margin " + k.format(margin, 3)
	case margin == 0:
		verdict = "failed at the threshold"
	default:
		verdict = "missed by " + k.format(math.Abs(margin), 3)
	}
	return fmt.Sprintf("%s = %s (gate %s %s, %s)", g.subject(), measured, g.Op, threshold, verdict)
}

// FailedGates counts the results that did not pass, missing ones included.
func FailedGates(results []GateResult) int {
	n := 0
	for _, r := range results {
		if !r.Pass {
			n++
		}
	}
	return n
}

// formatThreshold writes v in the unit a person would choose, among those
// that read back to exactly v (so String round-trips through ParseGate).
func formatThreshold(k MetricKind, v float64) string {
	var units []string
	switch k {
	case KindLatency:
		units = []string{"m", "s", "ms", "us", "ns"}
	case KindRatio:
		units = []string{"%", ""}
	case KindRate:
		units = []string{"/s", "/m"}
	case KindValue:
		units = []string{""} // a PromQL value read as a percentage would claim a unit it may not have
	default:
		units = []string{""}
	}
	best := ""
	for _, u := range units {
		text := fromCanonical(k, v, u)
		if n, err := strconv.ParseFloat(text, 64); err != nil || k == KindLatency && n < 1 && u != "ms" {
			continue // "0.5s" reads worse than "500ms"
		}
		if back, err := toCanonical(k, text, u); err != nil || back != v {
			continue
		}
		if cand := text + u; best == "" || len(cand) < len(best) {
			best = cand
		}
	}
	if best == "" {
		// Unreachable for values ParseGate produced; keep String total anyway.
		return formatNumber(v) + k.Unit()
	}
	return best
}

// unitScale converts a threshold written in a unit to the canonical unit:
// canonical = n × 10^pow10 × mul / div (mul and div 0 mean 1).
type unitScale struct {
	pow10    int
	mul, div float64
}

// scaleOf returns how unit converts for kind k; units acceptsUnit refuses
// convert as 1.
func scaleOf(k MetricKind, unit string) unitScale {
	switch k {
	case KindLatency:
		switch unit {
		case "ns":
			return unitScale{pow10: -6}
		case "us", "µs", "μs":
			return unitScale{pow10: -3}
		case "s":
			return unitScale{pow10: 3}
		case "m":
			return unitScale{mul: 60e3}
		}
	case KindRatio:
		if unit == "%" {
			return unitScale{pow10: -2}
		}
	case KindRate:
		if unit == "/m" {
			return unitScale{div: 60}
		}
	case KindValue:
		if unit == "%" {
			return unitScale{pow10: -2}
		}
	}
	return unitScale{}
}

// toCanonical converts the decimal text of a threshold written in unit to
// k's canonical unit. Powers of ten move the decimal point in the text
// before rounding once, so "99.9%" is exactly the float64 nearest 0.999 and
// a measured availability of 999/1000 meets it.
func toCanonical(k MetricKind, text, unit string) (float64, error) {
	sc := scaleOf(k, unit)
	n, err := strconv.ParseFloat(text+"e"+strconv.Itoa(sc.pow10), 64)
	if err != nil {
		return 0, err
	}
	if sc.mul != 0 {
		n *= sc.mul
	}
	if sc.div != 0 {
		n /= sc.div
	}
	if math.IsInf(n, 0) {
		return 0, strconv.ErrRange
	}
	return n, nil
}

// fromCanonical writes v in unit as decimal text, the inverse of
// toCanonical up to rounding for minutes and per-minute rates.
func fromCanonical(k MetricKind, v float64, unit string) string {
	sc := scaleOf(k, unit)
	if sc.mul != 0 {
		v /= sc.mul
	}
	if sc.div != 0 {
		v *= sc.div
	}
	return shiftedDecimal(v, -sc.pow10)
}

// shiftedDecimal writes v × 10^shift by moving the point in v's shortest
// decimal form, so no rounding happens: shiftedDecimal(0.999, 2) is "99.9".
func shiftedDecimal(v float64, shift int) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return formatNumber(v)
	}
	mant, expText, _ := strings.Cut(strconv.FormatFloat(v, 'e', -1, 64), "e")
	exp, _ := strconv.Atoi(expText)
	sign := ""
	if m, ok := strings.CutPrefix(mant, "-"); ok {
		sign, mant = "-", m
	}
	digits := strings.Replace(mant, ".", "", 1)
	point := 1 + exp + shift // digits[:point] is the integer part
	switch {
	case point <= 0:
		return sign + "0." + strings.Repeat("0", -point) + digits
	case point >= len(digits):
		return sign + digits + strings.Repeat("0", point-len(digits))
	default:
		return sign + digits[:point] + "." + digits[point:]
	}
}

// unitsHint lists the units each kind accepts, for error messages.
func unitsHint(k MetricKind) string {
	switch k {
	case KindLatency:
		return "ns, us, ms, s or m"
	case KindRatio:
		return "% or a bare fraction"
	case KindRate:
		return "/s, /m, rps or a bare number"
	case KindValue:
		return "a bare number, or % for hundredths"
	default:
		return "a bare number"
	}
}

// acceptsUnit reports whether a threshold of kind k may be written in unit;
// "" is a bare number.
func acceptsUnit(k MetricKind, unit string) bool {
	switch k {
	case KindLatency:
		switch unit {
		case "ns", "us", "µs", "μs", "ms", "s", "m":
			return true
		}
		return false
	case KindRatio:
		return unit == "" || unit == "%"
	case KindRate:
		return unit == "" || unit == "/s" || unit == "/m" || unit == "rps"
	case KindValue:
		return unit == "" || unit == "%"
	default:
		return unit == ""
	}
}

// MustParseGate is ParseGate for gates written in code (fixtures, tests,
// built-in defaults); it panics when text does not parse, like
// regexp.MustCompile.
func MustParseGate(text string) Gate {
	g, err := ParseGate(text)
	if err != nil {
		panic("loadharness.MustParseGate(" + strconv.Quote(text) + "): " + err.Error())
	}
	return g
}
