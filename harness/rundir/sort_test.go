package rundir

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"loadharness"
)

var sortStart = time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)

// shuffledResults are n results whose send times are out of order by up
// to spread, with many ties; Seq is the input position, to check that ties
// keep it.
func shuffledResults(seed uint64, n int, spread time.Duration) []loadharness.Result {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]loadharness.Result, n)
	for i := range out {
		late := time.Duration(rng.Int64N(int64(spread) + 1))
		// Milliseconds only, so that several results share a send time.
		sent := sortStart.Add(time.Duration(i)*time.Millisecond - late).Truncate(time.Millisecond)
		out[i] = loadharness.Result{Scenario: "s", Step: "get", Seq: uint64(i), Sent: sent, Latency: late, Code: 200}
	}
	return out
}

// sliceSource yields rs, then io.EOF.
func sliceSource(rs []loadharness.Result) func(*loadharness.Result) error {
	i := 0
	return func(r *loadharness.Result) error {
		if i == len(rs) {
			return io.EOF
		}
		*r = rs[i]
		i++
		return nil
	}
}

// collectSorted runs the sort and returns what each yields.
func collectSorted(t *testing.T, s externalSort, in []loadharness.Result) []loadharness.Result {
	t.Helper()
	res, err := s.sort(context.Background(), sliceSource(in))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	var got []loadharness.Result
	if err := res.each(context.Background(), func(r *loadharness.Result) error {
		got = append(got, *r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return got
}

// mustBeEmpty fails when dir holds anything: the sort left a file behind.
func mustBeEmpty(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) > 0 {
		t.Errorf("%s holds %d files, want none (first: %s)", dir, len(entries), entries[0].Name())
	}
}

func TestExternalSortIsAStableSortBySendTime(t *testing.T) {
	tests := []struct {
		name         string
		n            int
		chunk, fanIn int
	}{
		{"fits in memory", 500, sortChunk, sortFanIn},
		{"one merge of spilled runs", 500, 64, sortFanIn},
		{"merged in passes", 500, 7, 3},
		{"a chunk exactly full", 64, 64, 2},
		{"empty", 0, 5, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := shuffledResults(1, tt.n, 200*time.Millisecond)
			want := slices.Clone(in)
			slices.SortStableFunc(want, func(a, b loadharness.Result) int { return a.Sent.Compare(b.Sent) })
			dir := t.TempDir()
			got := collectSorted(t, externalSort{dir: dir, chunk: tt.chunk, fanIn: tt.fanIn}, in)
			if len(got) != len(want) {
				t.Fatalf("%d results, want %d", len(got), len(want))
			}
			for i := range want {
				if !got[i].Sent.Equal(want[i].Sent) || got[i].Seq != want[i].Seq {
					t.Fatalf("result %d: sent %v (input %d), want %v (input %d)",
						i, got[i].Sent, got[i].Seq, want[i].Sent, want[i].Seq)
				}
			}
			mustBeEmpty(t, dir)
		})
	}
}

// Spilled runs are unlinked while they are open, so a sort killed with
// SIGKILL leaves nothing in the temporary directory.
func TestSpilledRunsHaveNoNameWhileOpen(t *testing.T) {
	dir := t.TempDir()
	in := shuffledResults(2, 100, 50*time.Millisecond)
	res, err := externalSort{dir: dir, chunk: 10, fanIn: 3}.sort(context.Background(), sliceSource(in))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	if len(res.runs) == 0 {
		t.Fatal("nothing was spilled")
	}
	mustBeEmpty(t, dir)
}

// Every way a sort can end removes its runs: an input error, an error of
// the consumer, a cancelled context.
func TestExternalSortCleansUpOnEveryPath(t *testing.T) {
	in := shuffledResults(3, 3000, 100*time.Millisecond)
	errInput := errors.New("bad input")
	errConsumer := errors.New("consumer gave up")
	failingSource := func(after int) func(*loadharness.Result) error {
		next := sliceSource(in)
		n := 0
		return func(r *loadharness.Result) error {
			if n++; n > after {
				return errInput
			}
			return next(r)
		}
	}
	tests := []struct {
		name    string
		source  func(*loadharness.Result) error
		consume func(context.Context, *sorted) error
		want    error
	}{
		{"input fails mid-chunk", failingSource(25), nil, errInput},
		{"input fails after runs were spilled", failingSource(2500), nil, errInput},
		{"consumer fails", sliceSource(in), func(ctx context.Context, s *sorted) error {
			return s.each(ctx, func(*loadharness.Result) error { return errConsumer })
		}, errConsumer},
		{"cancelled while merging", sliceSource(in), func(_ context.Context, s *sorted) error {
			ctx, cancel := context.WithCancel(context.Background())
			n := 0
			return s.each(ctx, func(*loadharness.Result) error {
				if n++; n == 10 {
					cancel()
				}
				return nil
			})
		}, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			err := func() error {
				res, err := externalSort{dir: dir, chunk: 100, fanIn: 4}.sort(context.Background(), tt.source)
				if err != nil {
					return err
				}
				defer res.Close()
				return tt.consume(context.Background(), res)
			}()
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			mustBeEmpty(t, dir)
		})
	}
}

func TestExternalSortRefusesAMissingTempDir(t *testing.T) {
	dir := t.TempDir() + "/missing"
	_, err := externalSort{dir: dir, chunk: 2, fanIn: 2}.sort(context.Background(), sliceSource(shuffledResults(4, 10, 0)))
	if err == nil {
		t.Fatal("sort into a missing directory: want an error")
	}
}
