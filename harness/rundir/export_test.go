package rundir

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"loadharness"
	"loadharness/scenarios"
)

// completionOrderRun is a run as results.json holds it: two scenarios one
// after the other, each result written when its response completed and
// numbered then (as the closed driver numbers), setup and warm-up
// requests in the same numbering, and records of dropped and skipped hits
// at the end of the main phase.
func completionOrderRun(seed uint64) []loadharness.Result {
	rng := rand.New(rand.NewPCG(seed, 11))
	var out []loadharness.Result
	at := sortStart
	add := func(sc string, ph loadharness.Phase, n int) {
		for range n {
			r := loadharness.Result{
				Scenario: sc, Phase: ph, Step: "get", Method: "GET", URL: "http://127.0.0.1:8000/" + sc,
				User: uint32(rng.IntN(5)), Intended: at, Sent: at.Add(time.Duration(rng.IntN(3)) * time.Millisecond),
				Latency: time.Duration(1+rng.IntN(80)) * time.Millisecond, Code: 200,
			}
			if rng.IntN(10) == 0 {
				r.Code, r.Error = 503, "503 Service Unavailable"
			}
			out = append(out, r)
			at = at.Add(time.Duration(rng.IntN(10)) * time.Millisecond) // ties too
		}
	}
	add("orders", loadharness.PhaseSetup, 4)
	add("orders", loadharness.PhaseWarmup, 20)
	add("orders", loadharness.PhaseMain, 60)
	add("browse", loadharness.PhaseMain, 40)
	slices.SortStableFunc(out, func(a, b loadharness.Result) int { return a.End().Compare(b.End()) })
	end := out[len(out)-1].End()
	out = append(out,
		loadharness.Result{Scenario: "orders", Intended: end, Sent: end, Error: loadharness.DropUsersBusy, Dropped: 5},
		loadharness.Result{Scenario: "orders", Intended: end, Sent: end, Error: loadharness.DropGeneratorBehind, Dropped: 3},
		loadharness.Result{Scenario: "browse", Step: "get", Intended: end, Sent: end, Error: loadharness.SkipPrefix + "{{token}} was not extracted", Dropped: 1},
	)
	seq := map[string]uint64{}
	for i := range out {
		out[i].Seq = seq[out[i].Scenario]
		seq[out[i].Scenario]++
	}
	return out
}

// writeRaw writes results as a raw results file at path.
func writeRaw(t testing.TB, path string, rs []loadharness.Result) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := scenarios.NewRawWriter(f)
	for i := range rs {
		w.Add(&rs[i])
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readExport reads an export back and checks what Vegeta's plot needs of
// it: send times that never go back, each scenario numbered 0, 1, … in
// file order, and no record of hits never sent.
func readExport(t testing.TB, data []byte) []loadharness.Result {
	t.Helper()
	var got []loadharness.Result
	if _, err := scenarios.ReadRaw(context.Background(), bytes.NewReader(data), loadharness.SinkFunc(func(r *loadharness.Result) {
		got = append(got, *r)
	})); err != nil {
		t.Fatalf("the export does not read back: %v", err)
	}
	next := map[string]uint64{}
	for i, r := range got {
		if i > 0 && r.Sent.Before(got[i-1].Sent) {
			t.Fatalf("line %d was sent at %v, before line %d (%v)", i+1, r.Sent, i, got[i-1].Sent)
		}
		if r.Seq != next[r.Scenario] {
			t.Fatalf("line %d: %s seq %d, want %d", i+1, r.Scenario, r.Seq, next[r.Scenario])
		}
		next[r.Scenario]++
		if r.Dropped > 0 {
			t.Fatalf("line %d is a record of %d hits never sent", i+1, r.Dropped)
		}
	}
	return got
}

// count is how many results each scenario/phase has.
func count(rs []loadharness.Result) map[string]int {
	n := map[string]int{}
	for _, r := range rs {
		n[r.Scenario+"/"+r.Phase.String()]++
	}
	return n
}

// sorters are the sort's three paths: in memory, one merge, merges in passes.
func sorters(dir string) map[string]externalSort {
	return map[string]externalSort{
		"in memory":        {dir: dir, chunk: sortChunk, fanIn: sortFanIn},
		"one merge":        {dir: dir, chunk: 16, fanIn: sortFanIn},
		"merged in passes": {dir: dir, chunk: 5, fanIn: 2},
	}
}

func TestExportVegeta(t *testing.T) {
	run := t.TempDir()
	writeRaw(t, filepath.Join(run, ResultsFile), completionOrderRun(1))
	tests := []struct {
		name string
		opts VegetaExport
		want map[string]int
		// wantStats are the counts of what was left out.
		otherPhases, droppedRecords, droppedHits int
	}{
		{"main phase of every scenario", VegetaExport{},
			map[string]int{"orders/main": 60, "browse/main": 40}, 24, 3, 9},
		{"one scenario", VegetaExport{Scenario: "orders"},
			map[string]int{"orders/main": 60}, 24, 2, 8},
		{"every phase", VegetaExport{Phases: loadharness.Phases},
			map[string]int{"orders/setup": 4, "orders/warmup": 20, "orders/main": 60, "browse/main": 40}, 0, 3, 9},
		{"setup of one scenario", VegetaExport{Scenario: "orders", Phases: []loadharness.Phase{loadharness.PhaseSetup}},
			map[string]int{"orders/setup": 4}, 80, 0, 0},
	}
	for _, tt := range tests {
		for name, sorter := range sorters(t.TempDir()) {
			t.Run(tt.name+"/"+name, func(t *testing.T) {
				var buf bytes.Buffer
				st, err := exportVegeta(context.Background(), run, &buf, tt.opts, sorter)
				if err != nil {
					t.Fatal(err)
				}
				got := readExport(t, buf.Bytes())
				if !mapsEqual(count(got), tt.want) {
					t.Errorf("exported %v, want %v", count(got), tt.want)
				}
				if st.Requests != len(got) || st.OtherPhases != tt.otherPhases || st.DroppedRecords != tt.droppedRecords || st.DroppedHits != tt.droppedHits {
					t.Errorf("stats %+v; want %d requests, %d of other phases, %d dropped records of %d hits",
						st, len(got), tt.otherPhases, tt.droppedRecords, tt.droppedHits)
				}
				mustBeEmpty(t, sorter.dir)
			})
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// The three paths of the sort export the same results in the same order,
// ties included.
func TestExportVegetaIsTheSameWhateverTheSortPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "raw.json")
	writeRaw(t, path, completionOrderRun(2))
	var outs [][]loadharness.Result
	for _, sorter := range sorters(t.TempDir()) {
		var buf bytes.Buffer
		if _, err := exportVegeta(context.Background(), path, &buf, VegetaExport{Phases: loadharness.Phases}, sorter); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, readExport(t, buf.Bytes()))
	}
	for i := 1; i < len(outs); i++ {
		if !sameResults(outs[0], outs[i]) {
			t.Fatal("two sort paths exported different results")
		}
	}
}

// sameResults compares results, times by instant.
func sameResults(a, b []loadharness.Result) bool {
	return slices.EqualFunc(a, b, func(x, y loadharness.Result) bool {
		if !x.Sent.Equal(y.Sent) || !x.Intended.Equal(y.Intended) {
			return false
		}
		x.Sent, x.Intended = y.Sent, y.Intended
		return x == y
	})
}

func TestExportVegetaErrors(t *testing.T) {
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	if err := os.Mkdir(runDir, 0o755); err != nil {
		t.Fatal(err)
	}
	results := completionOrderRun(3)
	writeRaw(t, filepath.Join(runDir, ResultsFile), results)
	var good bytes.Buffer
	w := scenarios.NewRawWriter(&good)
	for i := range results {
		w.Add(&results[i])
	}
	w.Close()
	lines := bytes.SplitAfter(good.Bytes(), []byte("\n"))
	badLine := filepath.Join(dir, "bad.json")
	mustWriteFile(t, badLine, bytes.Join([][]byte{lines[0], lines[1], lines[2], lines[3], []byte("{\"timestamp\": oops}\n"), lines[4]}, nil))
	empty := filepath.Join(dir, "empty.json")
	mustWriteFile(t, empty, nil)
	summaryOnly := filepath.Join(dir, "summary-only")
	if err := os.Mkdir(summaryOnly, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWriteFile(t, filepath.Join(summaryOnly, SummaryFile), []byte("{}"))
	tests := []struct {
		name  string
		input string
		opts  VegetaExport
		want  []string
	}{
		{"bad line", badLine, VegetaExport{}, []string{badLine, "line 5"}},
		{"unknown scenario", runDir, VegetaExport{Scenario: "order"}, []string{`no scenario "order"`, `did you mean "orders"`}},
		{"no request in the phase", runDir, VegetaExport{Scenario: "browse", Phases: []loadharness.Phase{loadharness.PhaseWarmup}},
			[]string{"no request to export in phase warmup"}},
		{"empty file", empty, VegetaExport{}, []string{"no result in the file"}},
		{"missing input", filepath.Join(dir, "nope"), VegetaExport{}, []string{"no such file"}},
		{"run directory without raw results", summaryOnly, VegetaExport{}, []string{"no raw results"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			var buf bytes.Buffer
			_, err := exportVegeta(context.Background(), tt.input, &buf, tt.opts, externalSort{dir: tmp, chunk: 2, fanIn: 2})
			if err == nil {
				t.Fatal("want an error")
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if buf.Len() > 0 {
				t.Errorf("a failed export wrote %d bytes", buf.Len())
			}
			mustBeEmpty(t, tmp)
		})
	}
}

func mustWriteFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// A run killed mid-write leaves a cut last line: the complete lines are
// exported and the cut one is reported.
func TestExportVegetaOfATruncatedFile(t *testing.T) {
	results := completionOrderRun(4)
	path := filepath.Join(t.TempDir(), ResultsFile)
	writeRaw(t, path, results)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mustWriteFile(t, path, b[:len(b)-30])
	var buf bytes.Buffer
	st, err := ExportVegeta(context.Background(), path, &buf, VegetaExport{Phases: loadharness.Phases})
	if err != nil {
		t.Fatal(err)
	}
	got := readExport(t, buf.Bytes())
	// The last line, a skipped hit's record, is cut; every request is kept.
	if st.Truncated == nil || st.Truncated.Line != len(results) || len(got) != 124 {
		t.Errorf("truncated %v, %d exported; want line %d cut and 124 requests", st.Truncated, len(got), len(results))
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// A write that fails (a closed pipe) stops the export with the error and
// leaves no spilled run behind.
func TestExportVegetaStopsAtAFailedWrite(t *testing.T) {
	path := filepath.Join(t.TempDir(), ResultsFile)
	var many []loadharness.Result
	for i := range 50 {
		many = append(many, completionOrderRun(uint64(i))...)
	}
	writeRaw(t, path, many)
	tmp := t.TempDir()
	_, err := exportVegeta(context.Background(), path, failingWriter{}, VegetaExport{}, externalSort{dir: tmp, chunk: 100, fanIn: 4})
	if err == nil || !strings.Contains(err.Error(), "broken pipe") {
		t.Errorf("err = %v, want the write error", err)
	}
	mustBeEmpty(t, tmp)
}

// FuzzExportVegeta feeds any bytes to the export as a raw results file.
// Whatever it accepts must read back in send order with each scenario
// numbered from 0, and the spilling sort must agree with the in-memory one.
func FuzzExportVegeta(f *testing.F) {
	var buf bytes.Buffer
	results := completionOrderRun(5)
	w := scenarios.NewRawWriter(&buf)
	for i := range results {
		w.Add(&results[i])
	}
	w.Close()
	f.Add(buf.Bytes(), uint8(0))
	f.Add(buf.Bytes()[:buf.Len()/2], uint8(1))
	f.Add([]byte(`{"attack":"a","seq":9,"timestamp":"2025-01-01T00:00:01Z"}`+"\n"+`{"attack":"a","seq":3,"timestamp":"2025-01-01T00:00:00Z"}`), uint8(0))
	f.Add([]byte(`{"attack":"a","timestamp":"2025-01-01T00:00:00Z","headers":{"X-Loadtest-Dropped":["4"]}}`), uint8(0))
	f.Add([]byte(`{"timestamp":"2025-01-01T00:00:00Z","headers":{"X-Loadtest-Phase":["setup"]}}`+"\n\n{}"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, phases uint8) {
		path := filepath.Join(t.TempDir(), ResultsFile)
		mustWriteFile(t, path, data)
		opts := VegetaExport{}
		for i, p := range loadharness.Phases {
			if phases&(1<<i) != 0 {
				opts.Phases = append(opts.Phases, p)
			}
		}
		tmp := t.TempDir()
		var mem, spilled bytes.Buffer
		stMem, errMem := exportVegeta(context.Background(), path, &mem, opts, externalSort{dir: tmp, chunk: sortChunk, fanIn: sortFanIn})
		stSpilled, errSpilled := exportVegeta(context.Background(), path, &spilled, opts, externalSort{dir: tmp, chunk: 2, fanIn: 2})
		mustBeEmpty(t, tmp)
		if (errMem == nil) != (errSpilled == nil) {
			t.Fatalf("in memory: %v; spilled: %v", errMem, errSpilled)
		}
		if errMem != nil {
			return
		}
		a, b := readExport(t, mem.Bytes()), readExport(t, spilled.Bytes())
		if len(a) != stMem.Requests || len(b) != stSpilled.Requests || !sameResults(a, b) {
			t.Fatalf("in memory %d results (%d said), spilled %d (%d said), or they differ", len(a), stMem.Requests, len(b), stSpilled.Requests)
		}
		want := opts.Phases
		if len(want) == 0 {
			want = []loadharness.Phase{loadharness.PhaseMain}
		}
		for _, r := range a {
			if !slices.Contains(want, r.Phase) {
				t.Fatalf("a %s result was exported, phases %v", r.Phase, opts.Phases)
			}
		}
	})
}
