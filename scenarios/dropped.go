package scenarios

import (
	"cmp"
	"slices"
	"time"

	"loadharness"
)

// An open model's hit that fell due and was never sent is no request, but
// its user was failed all the same: k6 calls it a dropped iteration. The
// engine hands the sink one record per second of the run and cause, whose
// Dropped says how many hits it stands for, so that a generator far behind
// writes a few lines, not one per hit, and every count stays exact.

// dropGroup is the dropped hits of one second and one cause.
type dropGroup struct {
	second int64
	cause  string
	first  time.Duration // the earliest due time, from the epoch
	n      uint32
}

// deliverDropped hands the sink the records of ph's dropped hits and
// returns how many hits they stand for. A hit whose targeter waited for a
// user until the end was dropped because every user was busy; one that no
// worker took up was too when every user was busy as the phase's time ran
// out, and the generator's doing otherwise.
func (e *engine) deliverDropped(ph *phase) uint64 {
	groups := make(map[dropGroup]*dropGroup)
	var total uint64
	add := func(due time.Duration, cause string) {
		key := dropGroup{second: int64(due / time.Second), cause: cause}
		g := groups[key]
		if g == nil {
			g = &dropGroup{second: key.second, cause: cause, first: due}
			groups[key] = g
		}
		g.first = min(g.first, due)
		if g.n == 1<<32-1 {
			return // a record counts at most 4 billion hits
		}
		g.n++
		total++
	}
	ph.dropMu.Lock()
	for _, due := range ph.dueUnserved {
		add(due, loadharness.DropUsersBusy)
	}
	ph.dueUnserved = nil
	ph.dropMu.Unlock()
	cause := loadharness.DropGeneratorBehind
	if ph.busyAtEnd.Load() {
		cause = loadharness.DropUsersBusy
	}
	ph.queue.unsent(ph.duration, func(due time.Duration) { add(due, cause) })

	sorted := make([]*dropGroup, 0, len(groups))
	for _, g := range groups {
		sorted = append(sorted, g)
	}
	slices.SortFunc(sorted, func(a, b *dropGroup) int {
		return cmp.Or(cmp.Compare(a.second, b.second), cmp.Compare(a.cause, b.cause))
	})
	for _, g := range sorted {
		at := e.epoch.Add(g.first)
		e.res = loadharness.Result{
			Scenario: e.sc.Name,
			// A warm-up's dropped hits are the warm-up's: without its phase
			// a record would count against the main phase's figures.
			Phase:    ph.kind.resultPhase(),
			Seq:      e.seqBase,
			Intended: at,
			Sent:     at,
			Error:    g.cause,
			Dropped:  g.n,
		}
		e.seqBase++
		e.opts.Sink.Add(&e.res)
	}
	return total
}
