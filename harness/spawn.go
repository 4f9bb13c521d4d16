package harness

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"loadharness"
	"loadharness/scenarios"
	"loadharness/scenarios/suite"
)

// Spawn starts a scenario's users in batches rather than all at once, as a
// spawn rate does in Locust. The engine sets every user up at once (login
// and upload, up to 256 at a time), and a burst of hundreds of setups
// overloads a small stack for a reason that has nothing to do with the load
// being measured: a user whose upload was refused then fails every step.
//
// Each batch is a scenario run of its own, started Every after the previous
// one, with a warm-up longer by the time the later batches still need to
// start, so that every batch's measured part begins at about the same time.
type Spawn struct {
	// Batch is the users of a batch; more when MaxBatches would be passed.
	Batch int
	Every time.Duration
	// MaxBatches bounds the batches (0: no bound), so that a large pool
	// starts within MaxBatches × Every, in larger batches.
	MaxBatches int
}

// DefaultSpawn is the spawn of a capacity step: 16 users every 100ms, in
// at most 10 batches. A stack large enough to hold hundreds of users takes
// larger batches, and every step starts within a second.
var DefaultSpawn = Spawn{Batch: 16, Every: 100 * time.Millisecond, MaxBatches: 10}

// runSpawned runs sc in batches on the stack and merges their outcomes.
// Results of a batch of n users reach newSink(n), called once per batch
// before any starts, from that batch's goroutine: the sinks it returns must
// serialize between batches on their own.
func runSpawned(ctx context.Context, sp Spawn, sc *suite.Scenario, newSink func(users int) loadharness.Sink,
	opts scenarios.RunOptions) (scenarios.Outcome, error) {
	batch := sp.Batch
	if sp.MaxBatches > 0 {
		batch = max(batch, (sc.Users+sp.MaxBatches-1)/sp.MaxBatches)
	}
	batches := splitUsers(sc.Users, batch)
	outcomes := make([]scenarios.Outcome, len(batches))
	errs := make([]error, len(batches))
	var wg sync.WaitGroup
	base := opts.UserBase
	for i, users := range batches {
		sub := *sc
		sub.Users = users
		sub.Load = scaleLoad(sc.Load, float64(users)/float64(sc.Users))
		sub.Warmup = sc.Warmup + time.Duration(len(batches)-1-i)*sp.Every
		o := opts
		o.UserBase = base
		o.Sink = newSink(users)
		if i > 0 {
			o.Act = nil
			sub.Actions = nil // the actions belong to the scenario, carried out once
		}
		base += uint32(users)
		wg.Add(1)
		go func(i int, delay time.Duration) {
			defer wg.Done()
			select {
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			case <-time.After(delay):
			}
			outcomes[i], errs[i] = scenarios.Run(ctx, &sub, o)
		}(i, time.Duration(i)*sp.Every)
	}
	wg.Wait()
	if len(outcomes) > 1 {
		for i := range outcomes {
			// A batch judges its own share of the load: say whose figures they are.
			outcomes[i].Reasons = prefixed(fmt.Sprintf("batch %d of %d (%d users)", i+1, len(batches), batches[i]), outcomes[i].Reasons)
		}
	}
	return mergeOutcomes(outcomes), errors.Join(errs...)
}

// splitUsers splits users into batches of at most batch.
func splitUsers(users, batch int) []int {
	batch = max(batch, 1)
	var out []int
	for users > 0 {
		n := min(users, batch)
		out = append(out, n)
		users -= n
	}
	return out
}

// scaleLoad is m with every rate multiplied by share.
func scaleLoad(m suite.LoadModel, share float64) suite.LoadModel {
	scale := func(r suite.Rate) suite.Rate { return max(r*suite.Rate(share), suite.MinRate) }
	switch m.Kind {
	case suite.Constant:
		m.Rate = scale(m.Rate)
	case suite.Ramp:
		m.From, m.To = scale(m.From), scale(m.To)
	case suite.Staged:
		stages := make([]suite.Stage, len(m.Stages))
		for i, s := range m.Stages {
			stages[i] = suite.Stage{Rate: scale(s.Rate), Duration: s.Duration}
		}
		m.Stages = stages
	}
	return m
}

// mergeOutcomes adds the batches' accounts into one: counts and rates add
// up, the generator was bound if any batch says so, and the CPU figure, which
// every batch measures for the whole process, is the highest.
func mergeOutcomes(list []scenarios.Outcome) scenarios.Outcome {
	var out scenarios.Outcome
	seen := map[string]bool{}
	for _, o := range list {
		if o.Sent == 0 && o.Started.IsZero() {
			continue
		}
		if out.Started.IsZero() || o.Started.Before(out.Started) {
			out.Started = o.Started
		}
		if o.Finished.After(out.Finished) {
			out.Finished = o.Finished
		}
		out.Sent += o.Sent
		out.AskedRPS += o.AskedRPS
		out.SentRPS += o.SentRPS
		out.PoolSaturated = max(out.PoolSaturated, o.PoolSaturated)
		out.GeneratorCores = max(out.GeneratorCores, o.GeneratorCores)
		out.GeneratorBound = out.GeneratorBound || o.GeneratorBound
		out.Events = append(out.Events, o.Events...)
		for _, lines := range []struct {
			dst *[]string
			src []string
		}{{&out.Reasons, o.Reasons}, {&out.Warnings, o.Warnings}} {
			for _, l := range lines.src {
				if !seen[l] {
					seen[l] = true
					*lines.dst = append(*lines.dst, l)
				}
			}
		}
	}
	return out
}

// lockedSink lets the batches of a spawned scenario share one sink.
type lockedSink struct {
	mu   *sync.Mutex
	next loadharness.Sink
}

// Add passes r on under the lock the batches share.
func (s lockedSink) Add(r *loadharness.Result) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next.Add(r)
}

// Close does nothing: the shared sink is closed once, by RunOnStack.
func (s lockedSink) Close() error { return nil }
