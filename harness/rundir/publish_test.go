package rundir_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"loadharness/harness/rundir"
)

func mustWrite(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestPublishKeepsThePreviousRun(t *testing.T) {
	final := filepath.Join(t.TempDir(), "out", "default")
	for i, text := range []string{"first", "second", "third"} {
		w, stale, err := rundir.Begin(final)
		if err != nil || stale != (rundir.Stale{}) {
			t.Fatalf("run %d: begin: %v, stale %+v", i, err, stale)
		}
		mustWrite(t, filepath.Join(w.Dir, rundir.SummaryFile), text)
		if _, err := os.Stat(filepath.Join(final, rundir.SummaryFile)); i > 0 && err != nil {
			t.Fatalf("run %d: the previous run is not readable while this one writes: %v", i, err)
		}
		if err := w.Publish(); err != nil {
			t.Fatal(err)
		}
	}
	if got := mustRead(t, filepath.Join(final, rundir.SummaryFile)); got != "third" {
		t.Errorf("published %q, want third", got)
	}
	if got := mustRead(t, filepath.Join(final+rundir.PreviousSuffix, rundir.SummaryFile)); got != "second" {
		t.Errorf("previous %q, want second", got)
	}
	if _, err := os.Stat(final + rundir.WorkingSuffix); !os.IsNotExist(err) {
		t.Errorf("working directory left behind: %v", err)
	}
}

func TestDiscardLeavesThePreviousRunByteForByte(t *testing.T) {
	final := filepath.Join(t.TempDir(), "run")
	w, _, err := rundir.Begin(final)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(w.Dir, rundir.ResultsFile), "kept results\n")
	if err := w.Publish(); err != nil {
		t.Fatal(err)
	}
	w, _, err = rundir.Begin(final)
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(w.Dir, rundir.ResultsFile), "")
	if err := w.Discard(); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, filepath.Join(final, rundir.ResultsFile)); got != "kept results\n" {
		t.Errorf("after a discarded run: %q", got)
	}
	if _, err := os.Stat(final + rundir.PreviousSuffix); !os.IsNotExist(err) {
		t.Errorf("a discarded run made a .prev: %v", err)
	}
}

// A run that died keeps what it measured: its working directory is moved
// aside whole, not removed, and a working directory with no results (a
// stack that would not start) is removed.
func TestBeginKeepsADeadRunsResults(t *testing.T) {
	final := filepath.Join(t.TempDir(), "run")
	dead := final + rundir.WorkingSuffix
	if err := os.MkdirAll(dead, 0o755); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, filepath.Join(dead, rundir.ResultsFile), "line one\nhalf a li")
	w, stale, err := rundir.Begin(final)
	if err != nil {
		t.Fatal(err)
	}
	if stale.Removed != "" || !strings.HasPrefix(stale.Kept, final+rundir.CrashedSuffix) {
		t.Fatalf("stale = %+v, want the dead run kept as %s*", stale, final+rundir.CrashedSuffix)
	}
	if got := mustRead(t, filepath.Join(stale.Kept, rundir.ResultsFile)); got != "line one\nhalf a li" {
		t.Errorf("kept results %q, want them byte for byte", got)
	}
	if entries, _ := os.ReadDir(w.Dir); len(entries) != 0 {
		t.Errorf("the working directory is not fresh: %v", entries)
	}

	// The second run dies before measuring: only logs in its directory.
	mustWrite(t, filepath.Join(w.Dir, "lb.log"), "would not start")
	w.Leave()
	_, stale, err = rundir.Begin(final)
	if err != nil {
		t.Fatal(err)
	}
	if stale.Kept != "" || stale.Removed != dead {
		t.Errorf("stale = %+v, want %s removed (it measured nothing)", stale, dead)
	}
}

func TestBeginRefusesAFile(t *testing.T) {
	final := filepath.Join(t.TempDir(), "file")
	mustWrite(t, final, "not a directory")
	if _, _, err := rundir.Begin(final); err == nil {
		t.Error("began a run over a file")
	}
	if got := mustRead(t, final); got != "not a directory" {
		t.Errorf("the file was changed: %q", got)
	}
}

// TestASecondRunOnTheSameOutputIsRefused: two runs writing one output at
// once would take each other's working directory for a dead run's; the
// second is refused until the first has published, and nothing of the
// first is touched.
func TestASecondRunOnTheSameOutputIsRefused(t *testing.T) {
	final := filepath.Join(t.TempDir(), "out")
	first, _, err := rundir.Begin(final)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(first.Dir, rundir.ResultsFile), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = rundir.Begin(final)
	if err == nil || !strings.Contains(err.Error(), "another run (pid "+strconv.Itoa(os.Getpid())+") is writing it") {
		t.Fatalf("second Begin while the first writes: %v, want a refusal naming this pid", err)
	}
	if _, err := os.Stat(filepath.Join(first.Dir, rundir.ResultsFile)); err != nil {
		t.Fatalf("the refused run touched the first one's results: %v", err)
	}
	if err := first.Publish(); err != nil {
		t.Fatal(err)
	}
	second, _, err := rundir.Begin(final)
	if err != nil {
		t.Fatalf("Begin after the first published: %v", err)
	}
	second.Discard()
}
