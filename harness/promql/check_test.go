package promql_test

import (
	"errors"
	"strings"
	"testing"

	"loadharness/harness/promql"
)

func TestCheckAcceptsPromQL(t *testing.T) {
	for _, expr := range []string{
		`avg(rate(process_cpu_seconds_total{job="target"}[30s]))`,
		"increase(bad_counter_total[5s])",
		"sum by (instance) (rate(http_requests_total{code=~\"5..\"}[1m])) / sum by (instance) (rate(http_requests_total[1m]))",
		"histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[1m])))",
		"up == 0",
		"1",
		"max_over_time(queue_depth[1m:5s])",
		"x{a=`raw`}",
		"sum(x)\n/ 2",
	} {
		if err := promql.Check(expr); err != nil {
			t.Errorf("Check(%q) = %v, want nil", expr, err)
		}
	}
}

// TestCheckPositions: each bad expression is refused at the byte that is
// wrong, with Prometheus's own message.
func TestCheckPositions(t *testing.T) {
	tests := []struct {
		name    string
		expr    string
		offset  int
		message string
	}{
		{"unclosed range", "rate(x[5m)", 9, `unexpected ")" in subquery or range`},
		{"unclosed call", "avg(rate(x[5m])", 15, "unclosed left parenthesis"},
		{"unknown function", "rat(x[5m])", 0, `unknown function with name "rat"`},
		{"range where instant is due", "avg(x[5m])", 4, "expected type instant vector in aggregation expression, got range vector"},
		{"instant where range is due", "rate(x)", 5, "expected type range vector in call to function \"rate\", got instant vector"},
		{"bad duration", "rate(x[5q])", 7, "bad number or duration syntax"},
		{"unterminated label value", `x{job="target}`, 6, "unterminated quoted string"},
		{"trailing operator", "up ==", 5, "unexpected end of input"},
		{"second line", "sum(x)\n/ rat(y[1m])", 9, `unknown function with name "rat"`},
		{"end of input", `x{a="é"} +`, 11, "unexpected end of input"},
		{"after multibyte", `x{a="é"} + rat(y)`, 12, `unknown function with name "rat"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := promql.Check(tt.expr)
			var serr *promql.SyntaxError
			if !errors.As(err, &serr) {
				t.Fatalf("Check(%q) = %v, want a *SyntaxError", tt.expr, err)
			}
			if got, want := serr.Offset, tt.offset; got != want {
				t.Errorf("Check(%q) offset = %d, want %d (%v)", tt.expr, got, want, err)
			}
			if !strings.HasPrefix(serr.Msg, "parse error: ") || !strings.Contains(serr.Msg, tt.message) {
				t.Errorf("Check(%q) message = %q, want \"parse error: ...%s...\"", tt.expr, serr.Msg, tt.message)
			}
		})
	}
}

// FuzzCheck: the parser never panics through Check, and every error points
// inside the expression or just past its end.
func FuzzCheck(f *testing.F) {
	for _, seed := range []string{
		"rate(x[5m])", "rate(x[5m)", `x{job="a"}`, `x{job="a}`, "sum by (a) (x)", "", "(", "x[", "1 +",
		"histogram_quantile(0.9, rate(b[1m]))", "x offset 5m @ 100", "x{a=`b`}", "é", "\xff",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		err := promql.Check(expr)
		if err == nil {
			return
		}
		var serr *promql.SyntaxError
		if !errors.As(err, &serr) {
			t.Fatalf("Check(%q) error %T is not a *SyntaxError", expr, err)
		}
		if serr.Offset < 0 || serr.Offset > len(expr) {
			t.Fatalf("Check(%q) offset %d outside 0..%d", expr, serr.Offset, len(expr))
		}
	})
}
