// Package harness brings a stack up, runs a suite's scenarios against it,
// evaluates the gates and returns the verdict. It wires scenarios/ (the load)
// and reports/ (the aggregates and summaries) together; neither of those knows
// the other.
package harness

import (
	"context"
	"errors"

	"loadharness"
)

// Stack is a running system under test: what a Provider brought up. Its
// methods that act on the stack are the timed actions of a scenario.
type Stack interface {
	// URL is where the load goes: the balancer, or the user's own service.
	URL() string
	// Info describes the stack for the summary and the report.
	Info() StackInfo
	// MetricsURLs lists the /metrics endpoints of the target's instances
	// (one per instance; each answers for the worker that serves the scrape).
	MetricsURLs() []string
	// Act carries out a timed action ("kill-instance", "restart-instance",
	// "add-instance", "remove-instance", "restart-redis") and says what
	// happened. instance is 1-based where it applies.
	Act(ctx context.Context, kind string, instance int) (loadharness.Event, error)
	// Close tears everything down; it is safe to call more than once.
	Close(ctx context.Context) error
}

// StackInfo says what kind of stack ran, for people reading a report.
type StackInfo struct {
	Provider  string                 `json:"provider"`
	Shape     loadharness.StackShape `json:"shape"`
	RedisKind string                 `json:"redis_kind"`
	// Warnings are things that make the figures less representative, said
	// plainly in every output (for example an embedded Redis).
	Warnings []string `json:"warnings,omitempty"`
}

// Provider brings a stack up in one way: local processes, containers, or an
// external URL the user points at.
type Provider interface {
	Start(ctx context.Context, shape loadharness.StackShape) (Stack, error)
}

// ErrUnsupportedAction is returned by Stack.Act when the stack cannot carry
// out an action (an external service cannot be killed by the harness).
var ErrUnsupportedAction = errors.New("action not supported by this provider")
