// Package stack defines what the harness runs load against: a Stack (the
// running system under test), the Provider that brings one up, the timed
// actions a stack carries out, and the waits every provider shares. The
// providers themselves live one per folder below: process, docker and
// external.
package stack

import (
	"context"
	"errors"
	"time"

	"loadharness"
	"loadharness/scenarios/suite"
)

// Stack is a running system under test: what a Provider brought up. Its
// methods that act on the stack are the timed actions of a scenario.
type Stack interface {
	// URL is where the load goes: the balancer, or the user's own service.
	URL() string
	// Info describes the stack for the summary and the report.
	Info() Info
	// MetricsURLs lists the /metrics endpoints of the target's instances
	// (one per instance; each answers for the worker that serves the scrape).
	MetricsURLs() []string
	// Act carries out a timed action and says what happened. instance is
	// 1-based where the kind needs one (see ActionKind.NeedsInstance).
	Act(ctx context.Context, kind loadharness.ActionKind, instance int) (loadharness.Event, error)
	// Close tears everything down; it is safe to call more than once.
	Close(ctx context.Context) error
}

// ForceCloser is a Stack that can be torn down fast, by force and without
// saving logs, when the user will not wait for Close (a second Ctrl-C):
// nothing it started may outlive the harness. It may run while Close runs.
type ForceCloser interface {
	ForceClose(ctx context.Context) error
}

// Tracker is told what a stack starts outside the harness's own process,
// before it serves, so that a harness killed before Close (SIGKILL, a
// crash) leaves a record the next run can clean up from: see package
// ledger, whose *Entry is one.
type Tracker interface {
	// Process records a child that leads its own process group.
	Process(name string, pid int) error
	// DockerRun records the run label of a container stack.
	DockerRun(id string) error
}

// Info says what kind of stack ran, for people reading a report.
type Info struct {
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

// ProviderFunc adapts a function to a Provider.
type ProviderFunc func(ctx context.Context, shape loadharness.StackShape) (Stack, error)

// Start calls f.
func (f ProviderFunc) Start(ctx context.Context, shape loadharness.StackShape) (Stack, error) {
	return f(ctx, shape)
}

var _ Provider = ProviderFunc(nil)

// FaultProvider is a Provider that can put a fault proxy on the Redis link
// of the stacks it starts.
type FaultProvider interface {
	Provider
	// WithRedisFaults returns a provider like this one whose stacks carry
	// a fault proxy and implement Faulter.
	WithRedisFaults() Provider
}

// Faulter is a stack that can put faults on its Redis link.
type Faulter interface {
	// SetFault switches a fault on, or off when f.Off.
	SetFault(ctx context.Context, f suite.Fault) (loadharness.Event, error)
	// ClearFaults switches every fault still on off, with an event for
	// each; its error says what is still on after it tried.
	ClearFaults(ctx context.Context) ([]loadharness.Event, error)
}

// RedisAddresser is a stack whose Redis the harness can reach, to sample
// its clients and memory for the report.
type RedisAddresser interface {
	RedisAddr() string
}

// Prometheuser is a stack that brought up its own Prometheus, which
// scrapes every target worker (StackShape.Prometheus).
type Prometheuser interface {
	// PrometheusURL is the base URL of its HTTP API, for example
	// "http://127.0.0.1:9090".
	PrometheusURL() string
}

// ErrUnsupportedAction is returned by Stack.Act when the stack cannot carry
// out an action (an external service cannot be killed by the harness).
var ErrUnsupportedAction = errors.New("action not supported by this provider")

// ErrNoFaults is returned when a suite has fault actions and the provider
// cannot put a fault proxy on the Redis link.
var ErrNoFaults = errors.New("fault actions need the process provider")

// FaultEvent is the event of a fault switched on or off: kind
// "fault-on"/"fault-off", target "redis", the fault in the detail.
func FaultEvent(f suite.Fault) loadharness.Event {
	kind := loadharness.EventFaultOn
	if f.Off {
		kind = loadharness.EventFaultOff
	}
	return loadharness.Event{At: time.Now(), Kind: kind, Target: "redis", Detail: f.String()}
}
