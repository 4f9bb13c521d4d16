// Package promql is the harness's one door to Prometheus for PromQL gates:
// it checks an expression with Prometheus's own parser, so that a suite
// with a bad one is refused at the character that is wrong before any load,
// and it runs range queries and waits for scrapes through client_golang's
// HTTP API client. Nothing else in the harness imports either library.
package promql

import (
	"errors"
	"fmt"

	"github.com/prometheus/prometheus/promql/parser"
)

// SyntaxError is an expression Prometheus's parser refuses, located in the
// expression.
type SyntaxError struct {
	// Offset is the 0-based byte offset in the expression of the first
	// character the parser refused; it may equal the expression's length
	// when the expression ends too early.
	Offset int
	// Msg is the parser's message, such as "parse error: unexpected right
	// parenthesis ')'".
	Msg string
}

// Error returns "byte N: MESSAGE", N counted from 1.
func (e *SyntaxError) Error() string { return fmt.Sprintf("byte %d: %s", e.Offset+1, e.Msg) }

// check parses with the options of a stock Prometheus server: no
// experimental functions, names as Prometheus 2 wrote them.
var check = parser.NewParser(parser.Options{})

// Check parses expr as Prometheus would and returns a *SyntaxError when it
// does not parse or does not type-check (a range vector where an instant
// vector is due, an unknown function), or nil. Only the first problem is
// returned, as Prometheus reports it.
func Check(expr string) error {
	_, err := check.ParseExpr(expr)
	if err == nil {
		return nil
	}
	var errs parser.ParseErrors
	if errors.As(err, &errs) && len(errs) > 0 {
		return syntaxError(expr, errs[0])
	}
	var one *parser.ParseErr
	if errors.As(err, &one) {
		return syntaxError(expr, *one)
	}
	// The parser recovered from a panic of its own: nothing to point at.
	return &SyntaxError{Offset: 0, Msg: "parse error: " + err.Error()}
}

// syntaxError turns the parser's error into one located in expr.
func syntaxError(expr string, e parser.ParseErr) *SyntaxError {
	return &SyntaxError{Offset: min(max(int(e.PositionRange.Start), 0), len(expr)), Msg: "parse error: " + e.Err.Error()}
}
