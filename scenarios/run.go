package scenarios

import (
	"context"
	"fmt"
	"time"

	"loadharness"
	"loadharness/scenarios/suite"
)

// DefaultTimeout bounds each request when RunOptions.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// RunOptions says where a scenario's load goes and where its results go.
type RunOptions struct {
	// BaseURL is the target, for example http://127.0.0.1:8080; step paths
	// are joined to it.
	BaseURL string
	// Sink receives every result of the setup, warm-up and measured parts,
	// each marked with its Phase, from one goroutine, in arrival order.
	Sink loadharness.Sink
	// Session says how responses prove session integrity; the zero value
	// means suite.DefaultSessionProbe.
	Session suite.SessionProbe
	// Act carries out the scenario's timed actions and says what happened;
	// it must return within the run's context. A scenario with actions and a
	// nil Act is an error.
	Act func(ctx context.Context, a suite.Action) loadharness.Event
	// UserBase is the first virtual user id: a shard that runs users 0..N-1
	// of a larger run sets it so that ids stay unique across shards.
	UserBase uint32
	// Timeout bounds each request, from sending it to its last byte;
	// DefaultTimeout when zero.
	Timeout time.Duration
	// Logf, when set, receives progress lines.
	Logf func(format string, args ...any)
	// TLS configures an https target: a CA to trust, or no verification.
	TLS suite.TLS
}

// Run runs one scenario: each user's setup steps once, the warm-up (results
// dropped), then the measured load, and returns when the last request in
// flight has answered (within Timeout). A cancelled ctx stops the load, cuts
// the requests in flight, and returns what was measured so far with the
// context's error wrapped. Request failures are results, not errors; the
// error is for a run that could not be carried out.
func Run(ctx context.Context, sc *suite.Scenario, opts RunOptions) (Outcome, error) {
	e, err := newEngine(sc, opts)
	if err != nil {
		return Outcome{}, err
	}
	defer e.close()
	return e.run(ctx)
}

// run carries out the phases.
func (e *engine) run(ctx context.Context) (Outcome, error) {
	var out Outcome
	sc := e.sc
	open := sc.Load.Open()
	if e.plan.nSetup > 0 {
		e.pool.mode.Store(int32(modeSetup))
		st, err := e.runPhase(ctx, e.newPhase(phaseSetup, 0, nil))
		e.pool.unpark()
		e.pool.mode.Store(int32(modeLoop))
		if err != nil {
			return out, fmt.Errorf("run %s: setup: %w", sc.Name, err)
		}
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("run %s: setup: %w", sc.Name, err)
		}
		if n := e.unfinishedSetup(); n > 0 {
			out.Warnings = append(out.Warnings, fmt.Sprintf("setup was cut short after %s: %d of %d users did not finish it",
				st.ended.Sub(st.began).Round(time.Second), n, len(e.pool.users)))
		}
	}
	if !open {
		e.pool.think.Store(int64(sc.Think))
	}
	if sc.Warmup > 0 {
		var ws *schedule
		if open {
			s := constantSchedule(initialRate(sc.Load))
			ws = &s
		}
		if _, err := e.runPhase(ctx, e.newPhase(phaseWarmup, sc.Warmup, ws)); err != nil {
			return out, fmt.Errorf("run %s: warm-up: %w", sc.Name, err)
		}
		if err := ctx.Err(); err != nil {
			return out, fmt.Errorf("run %s: warm-up: %w", sc.Name, err)
		}
	}
	var sched *schedule
	if open {
		s := newSchedule(sc.Load, sc.Duration)
		sched = &s
	}
	main := e.newPhase(phaseMain, sc.Duration, sched)
	cpuBefore, cpuOK := processCPU()
	e.pool.trackSaturation(open)
	e.lag.reset()
	e.measureLag.Store(open)
	var actions *actionRunner
	main.onStart = func(began time.Time) { actions = e.startActions(ctx, began) }
	st, err := e.runPhase(ctx, main)
	out.PoolSaturated, out.UsersHeld = e.pool.trackSaturation(false)
	e.measureLag.Store(false)
	out.LagSamples, out.GeneratorLagP50, out.GeneratorLagP99 = e.lag.count(), roundLag(e.lag.quantile(0.5)), roundLag(e.lag.quantile(0.99))
	if open {
		e.logf("%s: generator lag p50 ≤ %s, p99 ≤ %s over %d hits", sc.Name, out.GeneratorLagP50, out.GeneratorLagP99, out.LagSamples)
	}
	out.TargetTime = st.targetTime
	if actions == nil {
		actions = e.startActions(ctx, st.began) // not reached: runPhase always starts
	}
	events, skipped := actions.finish()
	out.Events = events
	cpuAfter, _ := processCPU()

	out.Started, out.Finished, out.Sent, out.Dropped = st.began, st.ended, st.results, st.dropped
	out.ServiceVersions = e.versions.snapshot()
	window := sc.Duration
	if st.interrupted {
		window = min(window, st.interruptedAt.Sub(st.began))
	}
	if wall := st.ended.Sub(st.began); cpuOK && wall > 0 {
		out.GeneratorCores = (cpuAfter - cpuBefore).Seconds() / wall.Seconds()
	}
	out.judge(len(e.pool.users), window, sched, !st.interrupted)
	for _, a := range skipped {
		if !st.interrupted {
			out.Warnings = append(out.Warnings, fmt.Sprintf("action %s at %s did not run: the scenario ended first", a.Do, a.At))
		}
	}
	if err != nil {
		return out, fmt.Errorf("run %s: %w", sc.Name, err)
	}
	if err := ctx.Err(); err != nil {
		return out, fmt.Errorf("run %s: %w", sc.Name, err)
	}
	return out, nil
}

// unfinishedSetup counts users that did not send all their setup steps.
func (e *engine) unfinishedSetup() int {
	n := 0
	for _, u := range e.pool.users {
		if u.setupNext < e.plan.nSetup {
			n++
		}
	}
	return n
}
