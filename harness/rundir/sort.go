package rundir

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"loadharness"
	"loadharness/scenarios"
)

// A raw results file is written as responses complete, so its lines are
// out of send order by up to the longest latency (minutes, for a stalled
// target). Sorting it by send time holds no window of that size: it is an
// external merge sort, chunks sorted in memory and spilled to temporary
// files, then merged, so memory stays bounded whatever the file's length.
const (
	// sortChunk is how many results are sorted in memory at once: a few
	// hundred bytes each, some ten megabytes in all.
	sortChunk = 1 << 15
	// sortFanIn is how many spilled runs are merged at once; more are
	// merged in passes, so open files and read buffers (64 KiB each) stay
	// bounded too.
	sortFanIn = 64
)

// externalSort sorts results by send time in bounded memory.
type externalSort struct {
	// dir holds the spilled runs; "" is os.TempDir().
	dir   string
	chunk int
	fanIn int
}

// sorted is the outcome of externalSort.sort: the results in send order,
// in memory when they fit in one chunk, else in spilled runs to merge.
// Close releases the runs; it must be called on every path.
type sorted struct {
	sorter externalSort
	mem    []loadharness.Result
	runs   []*runFile
}

// sort reads every result next yields (until io.EOF) and sorts them by
// send time; results sent at the same instant keep the order next gave
// them in, so the output is the same on every run.
func (s externalSort) sort(ctx context.Context, next func(*loadharness.Result) error) (*sorted, error) {
	out := &sorted{sorter: s}
	buf := make([]loadharness.Result, 0, min(s.chunk, 1024))
	var res loadharness.Result
	for {
		err := next(&res)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			out.Close()
			return nil, err
		}
		buf = append(buf, res)
		if len(buf) < s.chunk {
			continue
		}
		if err := out.spill(buf); err != nil {
			out.Close()
			return nil, err
		}
		buf = buf[:0]
	}
	if len(out.runs) == 0 {
		sortBySent(buf)
		out.mem = buf
		return out, nil
	}
	if err := out.spill(buf); err != nil {
		out.Close()
		return nil, err
	}
	if err := out.mergeDown(ctx); err != nil {
		out.Close()
		return nil, err
	}
	return out, nil
}

// sortBySent sorts rs by send time, ties in their order.
func sortBySent(rs []loadharness.Result) {
	slices.SortStableFunc(rs, func(a, b loadharness.Result) int { return a.Sent.Compare(b.Sent) })
}

// spill sorts rs and writes them to a new run.
func (s *sorted) spill(rs []loadharness.Result) error {
	if len(rs) == 0 {
		return nil
	}
	sortBySent(rs)
	f, err := s.sorter.newRun()
	if err != nil {
		return err
	}
	s.runs = append(s.runs, f)
	w := scenarios.NewRawWriter(f)
	for i := range rs {
		w.Add(&rs[i])
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("sort: spill to %s: %w", f.Name(), err)
	}
	return nil
}

// mergeDown merges runs sortFanIn at a time until at most sortFanIn are
// left, for the last merge to hold that many open. Runs are merged in
// groups of neighbours, so that ties keep their input order.
func (s *sorted) mergeDown(ctx context.Context) error {
	for len(s.runs) > s.sorter.fanIn {
		var merged []*runFile
		for len(s.runs) > 0 {
			group := s.runs[:min(s.sorter.fanIn, len(s.runs))]
			f, err := s.mergeGroup(ctx, group)
			if err != nil {
				closeRuns(merged)
				return err
			}
			merged = append(merged, f)
			s.runs = s.runs[len(group):]
		}
		s.runs = merged
	}
	return nil
}

// mergeGroup merges group into a new run and closes group's runs. On an
// error the runs not yet closed stay in s.runs, for Close.
func (s *sorted) mergeGroup(ctx context.Context, group []*runFile) (*runFile, error) {
	f, err := s.sorter.newRun()
	if err != nil {
		return nil, err
	}
	w := scenarios.NewRawWriter(f)
	err = mergeSorted(ctx, group, func(r *loadharness.Result) error {
		w.Add(r)
		return sinkErr(w)
	})
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("sort: merge into %s: %w", f.Name(), err)
	}
	closeRuns(group)
	return f, nil
}

// each calls emit with every result in send order and stops at the first
// error. emit must not keep its argument.
func (s *sorted) each(ctx context.Context, emit func(*loadharness.Result) error) error {
	if s.runs == nil {
		for i := range s.mem {
			if i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("sort: %w", err)
				}
			}
			if err := emit(&s.mem[i]); err != nil {
				return err
			}
		}
		return nil
	}
	return mergeSorted(ctx, s.runs, emit)
}

// Close closes and removes every run.
func (s *sorted) Close() {
	closeRuns(s.runs)
	s.runs, s.mem = nil, nil
}

// runFile is a spilled run: a temporary file unlinked as soon as it is
// created where the system allows it, so that no path is left behind
// whatever ends the process, even SIGKILL; otherwise it is removed on
// Close.
type runFile struct {
	*os.File
	linked bool
}

// newRun creates an empty run.
func (s externalSort) newRun() (*runFile, error) {
	f, err := os.CreateTemp(s.dir, "loadtest-sort-*.json")
	if err != nil {
		return nil, fmt.Errorf("sort: temporary file: %w", err)
	}
	// On Unix an open file outlives its name; elsewhere Remove fails and
	// Close removes the file.
	return &runFile{File: f, linked: os.Remove(f.Name()) != nil}, nil
}

// Close closes the file and removes it if it still has a name.
func (f *runFile) Close() error {
	err := f.File.Close()
	if f.linked {
		err = errors.Join(err, os.Remove(f.Name()))
	}
	return err
}

// sinkErr is the first write error of a raw writer, so that a long write
// stops at once rather than at Close.
func sinkErr(w loadharness.Sink) error {
	if e, ok := w.(interface{ Err() error }); ok {
		return e.Err()
	}
	return nil
}

func closeRuns(runs []*runFile) {
	for _, f := range runs {
		f.Close()
	}
}

// mergeSorted reads runs from their start and calls emit with their results
// in send order, ties in the order of runs.
func mergeSorted(ctx context.Context, runs []*runFile, emit func(*loadharness.Result) error) error {
	h := make(runHeap, 0, len(runs))
	for i, f := range runs {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("sort: rewind %s: %w", f.Name(), err)
		}
		c := &runCursor{index: i, name: f.Name(), rr: scenarios.NewRawReader(f)}
		ok, err := c.advance(ctx)
		if err != nil {
			return err
		}
		if ok {
			h = append(h, c)
		}
	}
	heap.Init(&h)
	for n := 0; len(h) > 0; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("sort: %w", err)
			}
		}
		c := h[0]
		if err := emit(&c.res); err != nil {
			return err
		}
		ok, err := c.advance(ctx)
		switch {
		case err != nil:
			return err
		case ok:
			heap.Fix(&h, 0)
		default:
			heap.Pop(&h)
		}
	}
	return nil
}

// runCursor is a run being merged and its next result.
type runCursor struct {
	index int
	name  string
	rr    *scenarios.RawReader
	res   loadharness.Result
}

// advance reads the run's next result; false at its end.
func (c *runCursor) advance(ctx context.Context) (bool, error) {
	err := c.rr.Next(ctx, &c.res)
	switch {
	case errors.Is(err, io.EOF):
		return false, nil
	case err != nil:
		// A run is written whole before it is read: a bad line in one is
		// a broken temporary directory, not bad input.
		return false, fmt.Errorf("sort: read back %s: %w", c.name, err)
	}
	return true, nil
}

// runHeap orders cursors by their next result's send time, then by run.
type runHeap []*runCursor

func (h runHeap) Len() int { return len(h) }
func (h runHeap) Less(i, j int) bool {
	if c := h[i].res.Sent.Compare(h[j].res.Sent); c != 0 {
		return c < 0
	}
	return h[i].index < h[j].index
}
func (h runHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *runHeap) Push(x any)   { *h = append(*h, x.(*runCursor)) }
func (h *runHeap) Pop() any {
	old := *h
	c := old[len(old)-1]
	*h = old[:len(old)-1]
	return c
}
