package capacity

import (
	"context"
	"io"
	"runtime"
	"time"

	"loadharness"
	"loadharness/harness"
	"loadharness/harness/stack"
	"loadharness/scenarios/suite"
)

// LoadAxis is what a capacity search varies.
type LoadAxis string

const (
	// ByUsers varies the number of concurrent users of a closed model (each
	// with the scenario's think time): capacity is a number of users.
	ByUsers LoadAxis = "users"
	// ByRate varies the rate of an open model: capacity is requests per second.
	ByRate LoadAxis = "rate"
)

// Unit is how a load on the axis is written: "users" or "req/s".
func (a LoadAxis) Unit() string {
	if a == ByRate {
		return "req/s"
	}
	return "users"
}

// Defaults of a capacity search: short steps, because a search makes a
// dozen of them, and a longer run to confirm the answer.
const (
	DefaultStepWarmup      = 2 * time.Second
	DefaultStepDuration    = 5 * time.Second
	DefaultConfirmDuration = 15 * time.Second
	DefaultCoolDown        = time.Second
	DefaultResolution      = 0.10
	DefaultAbortFactor     = 3.0
	DefaultMaxSteps        = 16
	DefaultMaxUsers        = 5000
	DefaultMaxRate         = 20000
)

// SearchOptions tune a capacity search; zero fields take the Default values.
type SearchOptions struct {
	// Start is the first load tried; 0 means the scenario's own load.
	Start float64
	// Min and Max bound the loads tried; 0 means 1 and DefaultMaxUsers or
	// DefaultMaxRate.
	Min, Max float64
	// Resolution is the bracket [last pass, first fail] the bisection stops
	// at, relative to the last pass: 0.1 stops within 10%.
	Resolution float64
	// Warmup and Step are each step's warm-up and measured duration;
	// Confirm is the measured duration of the run that confirms the answer.
	Warmup, Step, Confirm time.Duration
	// CoolDown is the pause between steps, so that the queues of an
	// overloaded step drain before the next one.
	CoolDown time.Duration
	// AbortFactor stops a step early once a latency or error-ratio gate is
	// this many times past its threshold (see abortRule).
	AbortFactor float64
	// MaxSteps bounds the steps of the bracket and the bisection.
	MaxSteps int
}

// withDefaults fills the zero fields for a search on axis.
func (o SearchOptions) withDefaults(axis LoadAxis) SearchOptions {
	if o.Min <= 0 {
		o.Min = 1
	}
	if o.Max <= 0 {
		o.Max = DefaultMaxUsers
		if axis == ByRate {
			o.Max = DefaultMaxRate
		}
	}
	if o.Resolution <= 0 {
		o.Resolution = DefaultResolution
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	} else if o.Warmup == 0 {
		o.Warmup = DefaultStepWarmup
	}
	if o.Step <= 0 {
		o.Step = DefaultStepDuration
	}
	if o.Confirm <= 0 {
		o.Confirm = DefaultConfirmDuration
	}
	if o.CoolDown <= 0 {
		o.CoolDown = DefaultCoolDown
	}
	if o.AbortFactor <= 1 {
		o.AbortFactor = DefaultAbortFactor
	}
	if o.MaxSteps <= 0 {
		o.MaxSteps = DefaultMaxSteps
	}
	return o
}

// Config is one capacity search: one scenario of a suite, on one
// stack shape.
type Config struct {
	Suite *suite.Suite
	// Scenario names the scenario searched; "" is the suite's first.
	Scenario string
	// By is the axis; "" is ByUsers for a closed scenario, ByRate for an open one.
	By       LoadAxis
	Provider stack.Provider
	// Shape, when set, replaces the suite's stack shape (a grid sets it).
	Shape  *loadharness.StackShape
	Search SearchOptions
	// Progress receives a line per step; nil is silent.
	Progress io.Writer
	// Logf reports what the harness does; nil is silent.
	Logf func(format string, args ...any)
	// ExplicitTarget says the user named the target: only then may the
	// load leave this machine (see CheckTarget).
	ExplicitTarget bool
	// TeardownFailed, when set, is told of a stack that did not come down,
	// so that the caller keeps its crash-recovery record for the next run.
	TeardownFailed func(error)
	// PrometheusURL is the Prometheus the promql gates read at each step
	// (harness.WithPrometheus); "" is the stack's own, if it has one.
	PrometheusURL string
}

// Limits of a capacity: what stopped the search from going higher.
const (
	// LimitGates: a gate failed at FirstFail.
	LimitGates = "gates"
	// LimitGenerator: the generator could not send more; the capacity is a
	// lower bound.
	LimitGenerator = "generator"
	// LimitMax: every load up to SearchOptions.Max (or the suite's limit)
	// passed.
	LimitMax = "max"
	// LimitSteps: the search ran out of steps before it closed the bracket.
	LimitSteps = "steps"
)

// Result is what a capacity search found. Its JSON is written as
// capacity.json.
type Result struct {
	Suite    string                 `json:"suite"`
	Scenario string                 `json:"scenario"`
	By       LoadAxis               `json:"by"`
	Unit     string                 `json:"unit"`
	Provider string                 `json:"provider"`
	Shape    loadharness.StackShape `json:"shape"`
	// Capacity is the highest load at which every gate held; 0 when no
	// load tried passed.
	Capacity float64 `json:"capacity"`
	// Confirmed says a longer run at Capacity passed too.
	Confirmed bool `json:"confirmed"`
	// LastPass and FirstFail bracket the capacity; FirstFail is 0 when no
	// load tried failed.
	LastPass  float64 `json:"last_pass"`
	FirstFail float64 `json:"first_fail"`
	// Resolution is the relative width the bracket was narrowed to.
	Resolution float64 `json:"resolution"`
	// LimitedBy is one of the Limit constants.
	LimitedBy string `json:"limited_by"`
	// Gates are the gates each step was judged on; Unjudged the suite's
	// gates that a search cannot use (a throughput floor fails at every low
	// load) with how Capacity compares to them.
	Gates    []string `json:"gates"`
	Unjudged []string `json:"unjudged,omitempty"`
	Knee     *Knee    `json:"knee,omitempty"`
	// Curve lists every step in the order it ran, the confirmation last.
	Curve    []CurvePoint `json:"curve"`
	Started  time.Time    `json:"started"`
	Finished time.Time    `json:"finished"`
	// WallSeconds is the search's duration, stack start included.
	WallSeconds float64  `json:"wall_seconds"`
	CPUs        int      `json:"cpus"`
	Warnings    []string `json:"warnings,omitempty"`
}

// CurvePoint is one step of a search: a load and what it gave.
type CurvePoint struct {
	Load float64 `json:"load"`
	// Phase is "bracket", "bisect" or "confirm".
	Phase   string              `json:"phase"`
	Verdict loadharness.Verdict `json:"verdict"`
	// Aborted is why the step was stopped early; "" when it ran its course.
	Aborted string `json:"aborted,omitempty"`
	// Users is the users of the step (the pool of an open model); AskedRPS
	// the rate asked, 0 in a closed model.
	Users         int     `json:"users"`
	AskedRPS      float64 `json:"asked_rps"`
	Requests      int     `json:"requests"`
	ThroughputRPS float64 `json:"throughput_rps"`
	ErrorRate     float64 `json:"error_rate"`
	// P50, P95 and P99 are corrected latencies in milliseconds.
	P50          float64 `json:"p50_ms"`
	P95          float64 `json:"p95_ms"`
	P99          float64 `json:"p99_ms"`
	SessionsLost int     `json:"sessions_lost"`
	// Codes counts responses by status code, "0" for none: what the
	// errors were.
	Codes map[string]int `json:"codes,omitempty"`
	// FailedGates are the failed gates, as displayed to people.
	FailedGates    []string `json:"failed_gates,omitempty"`
	InvalidReasons []string `json:"invalid_reasons,omitempty"`
	// Warnings qualify the step's figures (a saturated user pool, failed
	// setups) without changing its verdict.
	Warnings []string `json:"warnings,omitempty"`
	Seconds  float64  `json:"seconds"`
}

// Search brings the stack up once and searches the highest load at which
// every gate of the scenario holds (see searchCapacity), each step a short
// run on the same stack, then confirms the answer with a longer run. It
// returns an error when the harness could not run or ctx ended; the partial
// result is returned with it.
func Search(ctx context.Context, cfg Config) (Result, error) {
	started := time.Now()
	plan, err := newCapacityPlan(cfg)
	if err != nil {
		return Result{}, err
	}
	logf := plan.logf
	shape := plan.suite.Stack
	logf("capacity: starting the stack: %d instance(s) × %d worker(s) × %d thread(s)", shape.Instances, shape.Workers, shape.Threads)
	st, err := harness.Up(ctx, cfg.Provider, plan.suite, cfg.ExplicitTarget, logf)
	if err != nil {
		return Result{}, err
	}
	defer closeStack(st, logf, cfg.TeardownFailed)
	res, err := plan.searchOn(ctx, st)
	res.Started, res.Finished = started, time.Now()
	res.WallSeconds = res.Finished.Sub(started).Seconds()
	return res, err
}

// searchOn runs the search on a stack that is up.
func (p *capacityPlan) searchOn(ctx context.Context, st stack.Stack) (Result, error) {
	res := Result{
		Suite: p.suite.Name, Scenario: p.base.Name, By: p.by, Unit: p.by.Unit(),
		Provider: st.Info().Provider, Shape: p.suite.Stack, Resolution: p.opts.Resolution,
		Gates: p.gateTexts(), CPUs: runtime.NumCPU(), Warnings: append([]string(nil), p.warnings...),
	}
	res.Warnings = append(res.Warnings, st.Info().Warnings...)
	out, err := searchCapacity(ctx, p.probeOn(st), p.opts, p.by == ByUsers)
	res.Curve = out.curve
	res.Capacity, res.Confirmed = out.capacity, out.confirmed
	res.LastPass, res.FirstFail, res.LimitedBy = out.lastPass, out.firstFail, out.limitedBy
	res.Knee = findKnee(res.Curve)
	if res.LimitedBy == LimitMax && p.maxFrom != "" {
		res.Warnings = append(res.Warnings, "the search stopped at "+p.maxFrom+": raise it on purpose to search higher")
	}
	res.Unjudged = p.unjudgedAgainst(res.Capacity)
	return res, err
}

// closeStack tears st down within 30 seconds, whatever ctx the search had,
// and tells failed (when set) if it could not.
func closeStack(st stack.Stack, logf func(string, ...any), failed func(error)) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := st.Close(ctx); err != nil {
		logf("tear down: %v", err)
		if failed != nil {
			failed(err)
		}
	}
}
