package suite

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxShards bounds how many shards a run may be split into: far more
// generators than any fleet needs, small enough that a typo is caught.
const MaxShards = 10_000

// ShardSpec names one slice of a sharded run: shard Index (0-based) of Count.
type ShardSpec struct {
	Index, Count int
}

// String writes the spec as the --shard flag takes it, for example "0/3".
func (s ShardSpec) String() string {
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count)
}

// ParseShard reads "I/N": shard I (0-based, as Kubernetes numbers an
// Indexed Job's pods in JOB_COMPLETION_INDEX) of N.
func ParseShard(s string) (ShardSpec, error) {
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return ShardSpec{}, fmt.Errorf("parse shard: want I/N such as 0/3, not %q", truncate(s, 40))
	}
	i, errI := strconv.Atoi(strings.TrimSpace(is))
	n, errN := strconv.Atoi(strings.TrimSpace(ns))
	if errI != nil || errN != nil {
		return ShardSpec{}, fmt.Errorf("parse shard: want I/N such as 0/3, not %q", truncate(s, 40))
	}
	spec := ShardSpec{Index: i, Count: n}
	if err := spec.check(); err != nil {
		return ShardSpec{}, fmt.Errorf("parse shard: %w", err)
	}
	return spec, nil
}

func (s ShardSpec) check() error {
	if s.Count < 1 || s.Count > MaxShards {
		return fmt.Errorf("shard count must be 1..%d, not %d", MaxShards, s.Count)
	}
	if s.Index < 0 || s.Index >= s.Count {
		return fmt.Errorf("shard index must be 0..%d, not %d", s.Count-1, s.Index)
	}
	return nil
}

// Shard returns the i-th of n deterministic slices of s: every scenario with
// its share of the users and of the rate, so that the n slices add up
// exactly to the whole.
//
//   - Users are split as evenly as whole numbers allow, the first shards
//     taking one more (50 over 4: 13, 13, 12, 12), and each shard's users
//     get the ids the whole run would give them (Scenario.UserBase), so ids,
//     and the data sets seeded by them, are disjoint across shards.
//   - A whole rate of at least n/s is split into whole rates the same way
//     (100/s over 3: 34, 33, 33): whole rates pace exactly, so the shards
//     send rate × duration requests between them, as the whole run does.
//     Any other rate is divided evenly (2.5/s over 2: 1.25 each), exact to
//     float rounding. A ramp's ends and each stage are split likewise, so
//     the sum of the shards' schedules is the whole schedule.
//   - A closed scenario whose share of users is 0 (1 user over 3) is left
//     out of that shard: its users are its load. An open scenario must have
//     at least n users, since every shard carries a share of its rate.
//   - Timed actions and the scaling policy stay with shard 0 only: they act
//     on the shared stack, which must be killed or scaled once, not n times.
//
// Durations, warm-ups, think times, steps and gates are the same in every
// shard; a shard's own verdict is provisional, the merged report's is the
// run's. s is not modified.
func Shard(s *Suite, i, n int) (*Suite, error) {
	spec := ShardSpec{Index: i, Count: n}
	if err := spec.check(); err != nil {
		return nil, fmt.Errorf("shard suite: %w", err)
	}
	out := *s
	out.Scenarios = make([]*Scenario, 0, len(s.Scenarios))
	var errs []error
	for _, sc := range s.Scenarios {
		part, err := shardScenario(sc, spec)
		if err != nil {
			errs = append(errs, fmt.Errorf("scenario %q: %w", sc.Name, err))
			continue
		}
		if part != nil {
			out.Scenarios = append(out.Scenarios, part)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("shard suite %s as %s: %w", s.Name, spec, err)
	}
	return &out, nil
}

// shardScenario returns sc's slice, or nil when the shard has no part in it.
func shardScenario(sc *Scenario, spec ShardSpec) (*Scenario, error) {
	if sc.Users < 0 {
		return nil, fmt.Errorf("users must not be negative, not %d", sc.Users)
	}
	users, before := splitCount(sc.Users, spec)
	if sc.Load.Open() && sc.Users < spec.Count {
		return nil, fmt.Errorf("an open model's %d user(s) cannot carry its rate on %d shards: give it at least %d users", sc.Users, spec.Count, spec.Count)
	}
	if users == 0 {
		return nil, nil
	}
	base := uint64(sc.UserBase) + uint64(before)
	if base+uint64(users) > math.MaxUint32+1 {
		return nil, fmt.Errorf("user ids %d+%d overflow", base, users)
	}
	part := *sc
	part.Users = users
	part.UserBase = uint32(base)
	part.Load = shardLoad(sc.Load, spec)
	if spec.Index != 0 {
		part.Actions = nil
		part.Autoscale = nil
	}
	return &part, nil
}

// splitCount returns shard spec's share of total and the sum of the shares
// of the shards before it: the first total%n shards take one more.
func splitCount(total int, spec ShardSpec) (share, before int) {
	q, r := total/spec.Count, total%spec.Count
	share = q
	if spec.Index < r {
		share++
	}
	return share, spec.Index*q + min(spec.Index, r)
}

// shardLoad returns the shard's share of every rate in m.
func shardLoad(m LoadModel, spec ShardSpec) LoadModel {
	out := m
	switch m.Kind {
	case Constant:
		out.Rate = shardRate(m.Rate, spec)
	case Ramp:
		out.From, out.To = shardRate(m.From, spec), shardRate(m.To, spec)
	case Staged:
		out.Stages = make([]Stage, len(m.Stages))
		for k, st := range m.Stages {
			out.Stages[k] = Stage{Rate: shardRate(st.Rate, spec), Duration: st.Duration}
		}
	}
	return out
}

// shardRate returns the shard's share of r: whole rates of at least n/s in
// whole requests a second, since those pace exactly; others evenly.
func shardRate(r Rate, spec ShardSpec) Rate {
	f := float64(r)
	if f == math.Trunc(f) && f >= float64(spec.Count) && f <= float64(MaxRate) {
		share, _ := splitCount(int(f), spec)
		return Rate(share)
	}
	return r / Rate(spec.Count)
}
