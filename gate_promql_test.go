package loadharness_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"loadharness"
)

func TestParsePromQLGate(t *testing.T) {
	tests := []struct {
		name      string
		text      string
		expr      string
		op        loadharness.Op
		threshold float64
		canonical string
	}{
		{"double quoted", `promql("avg(rate(process_cpu_seconds_total{job=\"target\"}[30s]))") < 0.6`,
			`avg(rate(process_cpu_seconds_total{job="target"}[30s]))`, loadharness.OpLess, 0.6,
			"promql(`avg(rate(process_cpu_seconds_total{job=\"target\"}[30s]))`) < 0.6"},
		{"back quoted", "promql(`avg(rate(x[30s]))`) < 0.6", "avg(rate(x[30s]))", loadharness.OpLess, 0.6,
			"promql(`avg(rate(x[30s]))`) < 0.6"},
		{"spaced", " promql ( `up` ) >= 1 ", "up", loadharness.OpGreaterEqual, 1, "promql(`up`) >= 1"},
		{"no spaces", "promql(`up`)==1", "up", loadharness.OpEqual, 1, "promql(`up`) == 1"},
		{"percent", "promql(`x`) < 60%", "x", loadharness.OpLess, 0.6, "promql(`x`) < 0.6"},
		{"negative", "promql(`deriv(q[1m])`) > -5", "deriv(q[1m])", loadharness.OpGreater, -5, "promql(`deriv(q[1m])`) > -5"},
		{"fraction", "promql(`x`) != 0.25", "x", loadharness.OpNotEqual, 0.25, "promql(`x`) != 0.25"},
		{"large", "promql(`x`) <= 1000000", "x", loadharness.OpLessEqual, 1e6, "promql(`x`) <= 1000000"},
		{"escapes", `promql("a\tb\u00e9\x41") < 1`, "a\tbéA", loadharness.OpLess, 1, `promql("a\tbéA") < 1`},
		{"back quote inside", "promql(\"x{a=`b`}\") < 1", "x{a=`b`}", loadharness.OpLess, 1, "promql(\"x{a=`b`}\") < 1"},
		{"newline in raw", "promql(`sum(x)\n/ 2`) < 1", "sum(x)\n/ 2", loadharness.OpLess, 1, `promql("sum(x)\n/ 2") < 1`},
		{"parens and quotes inside raw", "promql(`count(x{a=\")\"})`) < 1", `count(x{a=")"})`, loadharness.OpLess, 1,
			"promql(`count(x{a=\")\"})`) < 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := loadharness.ParseGate(tt.text)
			if err != nil {
				t.Fatalf("ParseGate(%q): %v", tt.text, err)
			}
			m := g.Metric
			if got, want := m.PromQL, tt.expr; got != want {
				t.Errorf("PromQL = %q, want %q", got, want)
			}
			if !m.FromPrometheus() || m.FromTarget() || m.FromEvents() {
				t.Errorf("FromPrometheus, FromTarget, FromEvents = %v, %v, %v, want true, false, false",
					m.FromPrometheus(), m.FromTarget(), m.FromEvents())
			}
			if got, want := m.Kind, loadharness.KindValue; got != want {
				t.Errorf("kind = %v, want %v", got, want)
			}
			if g.Op != tt.op || g.Threshold != tt.threshold || g.Step != "" || g.Phase != loadharness.PhaseMain {
				t.Errorf("gate = %+v, want op %v, threshold %v, no step, main phase", g, tt.op, tt.threshold)
			}
			if got, want := g.String(), tt.canonical; got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
			if got, want := m.Name, strings.SplitN(tt.canonical, ") ", 2)[0]+")"; got != want {
				t.Errorf("Name = %q, want the canonical subject %q", got, want)
			}
			again, err := loadharness.ParseGate(g.String())
			if err != nil || !again.Equal(g) {
				t.Errorf("ParseGate(String()) = %+v, %v, want %+v", again, err, g)
			}
		})
	}
}

// TestPromQLGatesCompareByExpression: two spellings of one expression are
// the same gate; two expressions are not.
func TestPromQLGatesCompareByExpression(t *testing.T) {
	a := MustParseGate(t, `promql("up{job=\"x\"}") < 1`)
	b := MustParseGate(t, "promql(`up{job=\"x\"}`)<1")
	c := MustParseGate(t, "promql(`up{job=\"y\"}`) < 1")
	if !a.Equal(b) {
		t.Errorf("%q and %q differ", a.Source, b.Source)
	}
	if a.Equal(c) || a.Metric == c.Metric {
		t.Errorf("%q and %q are equal", a.Source, c.Source)
	}
}

func TestParsePromQLGateErrors(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		column  int
		message string
	}{
		{"no parenthesis", "promql < 1", 8, "promql needs its expression in parentheses"},
		{"no parenthesis at end", "promql", 7, "promql needs its expression in parentheses"},
		{"unquoted expression", "promql(up) < 1", 8, "a quoted string"},
		{"nothing inside", "promql() < 1", 8, "a quoted string"},
		{"unterminated double", `promql("up) < 1`, 8, "unterminated string"},
		{"unterminated raw", "promql(`up) < 1", 8, "unterminated string"},
		{"escaped quote does not end", `promql("up\") < 1`, 8, "unterminated string"},
		{"bad escape", `promql("up\q") < 1`, 11, "bad escape"},
		{"short hex escape", `promql("a\x4") < 1`, 10, "bad escape"},
		{"newline in double quotes", "promql(\"a\nb\") < 1", 10, "newline"},
		{"empty expression", "promql(``) < 1", 8, "empty PromQL expression"},
		{"blank expression", `promql(" ") < 1`, 8, "empty PromQL expression"},
		{"missing close", "promql(`up` < 1", 13, "missing ) after the PromQL expression"},
		{"missing close at end", "promql(`up`", 12, "missing ) after the PromQL expression"},
		{"two strings", "promql(`up` `x`) < 1", 13, "missing ) after the PromQL expression"},
		{"step selector", "promql(`up`){step:x} < 1", 13, "no {step:...}"},
		{"phase selector", "promql(`up`) {phase:main} < 1", 14, "no {step:...}"},
		{"missing operator", "promql(`up`) 1", 14, "missing operator after promql(`up`)"},
		{"unit", "promql(`up`) < 1s", 17, `unit "s" does not fit`},
		{"lone minus", "promql(`up`) < -", 16, "missing threshold"},
		{"minus on a latency", "p95 < -1s", 7, "must not be negative"},
		{"trailing junk", "promql(`up`) < 1 2", 18, `unexpected "2"`},
		{"trailing word", "promql(`up`) < 1 x", 18, `unit "x" does not fit`},
		{"typo", "promq(`up`) < 1", 1, "did you mean promql?"},
		{"columns count runes", "promql(`µµ`) < 1s", 17, `unit "s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := loadharness.ParseGate(tt.text)
			var gerr *loadharness.GateError
			if !errors.As(err, &gerr) {
				t.Fatalf("ParseGate(%q) = %v, want a *GateError at column %d", tt.text, err, tt.column)
			}
			if got, want := gerr.Column, tt.column; got != want {
				t.Errorf("ParseGate(%q) column = %d, want %d (%v)", tt.text, got, want, err)
			}
			if !strings.Contains(gerr.Msg, tt.message) {
				t.Errorf("ParseGate(%q) message = %q, want it to hold %q", tt.text, gerr.Msg, tt.message)
			}
		})
	}
}

// TestPromQLColumn maps a byte offset in the expression back to the column
// of the gate's text it was written at, escapes and multibyte runes
// included.
func TestPromQLColumn(t *testing.T) {
	tests := []struct {
		name   string
		text   string
		offset int
		want   int
	}{
		{"raw first byte", "promql(`rate(x[5m)`) < 1", 0, 9},
		{"raw inner byte", "promql(`rate(x[5m)`) < 1", 9, 18},
		{"raw end is the closing quote", "promql(`up`) < 1", 2, 11},
		{"leading spaces", "  promql (  `up`) < 1", 1, 15},
		{"double quoted escape", `promql("a{b=\"c\"}x") < 1`, 8, 19},
		{"byte of an escape", `promql("\u00e9x") < 1`, 1, 9},
		{"after an escape", `promql("\u00e9x") < 1`, 2, 15},
		{"multibyte rune", "promql(`éx`) < 1", 2, 10},
		{"beyond the end clamps", "promql(`up`) < 1", 99, 11},
		{"negative clamps", "promql(`up`) < 1", -3, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := loadharness.PromQLColumn(tt.text, tt.offset)
			if !ok || got != tt.want {
				t.Errorf("PromQLColumn(%q, %d) = %d, %v, want %d, true", tt.text, tt.offset, got, ok, tt.want)
			}
		})
	}
	for _, text := range []string{"p95 < 1s", "promql(`up`", "promql(up) < 1", ""} {
		if col, ok := loadharness.PromQLColumn(text, 0); ok {
			t.Errorf("PromQLColumn(%q) = %d, true, want false: no expression there", text, col)
		}
	}
}

func TestOpWorst(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name      string
		op        loadharness.Op
		threshold float64
		values    []float64
		want      float64
		ok        bool
	}{
		{"less takes the largest", loadharness.OpLess, 0.6, []float64{0.2, 0.7, 0.5}, 0.7, true},
		{"less or equal takes the largest", loadharness.OpLessEqual, 0.6, []float64{0.2, 0.5}, 0.5, true},
		{"greater takes the smallest", loadharness.OpGreater, 1, []float64{3, 0.5, 2}, 0.5, true},
		{"greater or equal takes the smallest", loadharness.OpGreaterEqual, 1, []float64{3, 2}, 2, true},
		{"equal takes the farthest above", loadharness.OpEqual, 0, []float64{0, 0, 4, -1}, 4, true},
		{"equal takes the farthest below", loadharness.OpEqual, 10, []float64{10, 7, 12}, 7, true},
		{"equal with every point on it", loadharness.OpEqual, 0, []float64{0, 0}, 0, true},
		{"not equal takes the nearest", loadharness.OpNotEqual, 5, []float64{1, 5.5, 9, 4}, 5.5, true},
		{"not equal hits the threshold", loadharness.OpNotEqual, 0, []float64{3, 0, 2}, 0, true},
		{"infinity is the worst", loadharness.OpLess, 1, []float64{0.5, math.Inf(1), 2}, math.Inf(1), true},
		{"NaN is skipped", loadharness.OpLess, 1, []float64{nan, 0.5, nan}, 0.5, true},
		{"only NaN", loadharness.OpLess, 1, []float64{nan, nan}, 0, false},
		{"no values", loadharness.OpLess, 1, nil, 0, false},
		{"one value", loadharness.OpGreater, 1, []float64{0}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := tt.op.Worst(tt.threshold, tt.values)
			if ok != tt.ok || got != tt.want {
				t.Errorf("%v.Worst(%v, %v) = %v, %v, want %v, %v", tt.op, tt.threshold, tt.values, got, ok, tt.want, tt.ok)
			}
		})
	}
}

// gateMeasurer answers PromQL gates with the worst of its points for the
// gate's operator, as a Prometheus measurer does.
type gateMeasurer map[string][]float64

// Measure cannot tell: which point counts depends on the gate's operator.
func (m gateMeasurer) Measure(loadharness.Metric, loadharness.Scope) (float64, bool) { return 0, false }

func (m gateMeasurer) MeasureGate(g loadharness.Gate, s loadharness.Scope) (float64, bool) {
	return g.Op.Worst(g.Threshold, m[s.Scenario+"/"+g.Metric.PromQL])
}

func TestEvaluatePromQLGate(t *testing.T) {
	points := gateMeasurer{
		"browse/cpu":   {0.2, 0.55, 0.4},
		"checkout/cpu": {0.2, 0.65, 0.4},
		"browse/stuck": {0, 0, 0},
		"browse/moved": {0, 3, 0},
	}
	// Another measurer first, as in the harness: it cannot answer, and the
	// gate measurer is still asked with the whole gate.
	m := loadharness.Measurers{loadharness.MeasurerFunc(func(loadharness.Metric, loadharness.Scope) (float64, bool) { return 0, false }), points}
	tests := []struct {
		name, scenario, gate string
		pass, missing        bool
		measured             float64
		display              string
	}{
		{"holds at every point", "browse", "promql(`cpu`) < 0.6", true, false, 0.55, "promql(`cpu`) = 0.55 (gate < 0.6, margin 0.05)"},
		{"one point over", "checkout", "promql(`cpu`) < 0.6", false, false, 0.65, "promql(`cpu`) = 0.65 (gate < 0.6, missed by 0.05)"},
		{"lower bound takes the lowest", "browse", "promql(`cpu`) > 0.3", false, false, 0.2, "promql(`cpu`) = 0.2 (gate > 0.3, missed by 0.1)"},
		{"still counter", "browse", "promql(`stuck`) == 0", true, false, 0, "promql(`stuck`) = 0 (gate == 0, margin 0)"},
		{"moved counter", "browse", "promql(`moved`) == 0", false, false, 3, "promql(`moved`) = 3 (gate == 0, missed by 3)"},
		{"no points", "browse", "promql(`absent`) == 0", false, true, 0, "promql(`absent`) = n/a (gate == 0, not measured)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := MustParseGate(t, tt.gate).Evaluate(tt.scenario, m)
			if r.Pass != tt.pass || r.Missing != tt.missing || r.Measured != tt.measured {
				t.Errorf("pass, missing, measured = %v, %v, %v, want %v, %v, %v", r.Pass, r.Missing, r.Measured, tt.pass, tt.missing, tt.measured)
			}
			if r.Display != tt.display {
				t.Errorf("display = %q, want %q", r.Display, tt.display)
			}
			if r.Unit != "" {
				t.Errorf("unit = %q, want none: a PromQL value has no unit the harness knows", r.Unit)
			}
		})
	}
	if r := MustParseGate(t, "promql(`cpu`) < 0.6").Evaluate("browse", m[:1]); !r.Missing || r.Pass {
		t.Errorf("without a measurer that knows PromQL: %+v, want not measured", r)
	}
}

func ExampleParseGate_promql() {
	// Back quotes need no escaping, which suits YAML; a Go string in double
	// quotes reads the same.
	g, err := loadharness.ParseGate(`promql("avg(rate(process_cpu_seconds_total{job=\"target\"}[30s]))") < 60%`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g)
	fmt.Println(g.Metric.PromQL)

	// A PromQL parser's error at byte 9 of the expression, in the gate's text:
	text := "promql(`rate(x[5m)`) < 1"
	col, _ := loadharness.PromQLColumn(text, 9)
	fmt.Printf("%s\n%*s^ column %d\n", text, col-1, "", col)
	// Output:
	// promql(`avg(rate(process_cpu_seconds_total{job="target"}[30s]))`) < 0.6
	// avg(rate(process_cpu_seconds_total{job="target"}[30s]))
	// promql(`rate(x[5m)`) < 1
	//                  ^ column 18
}
