package rundir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A run never writes into the directory it will be read from. It writes
// into a working directory beside it, DIR.partial, and publishes it at its
// end by renames: the run before it becomes DIR.prev (replacing an older
// one), the working directory becomes DIR. So a run that fails before any
// load leaves the previous run as it was, a reader never meets half a run,
// and the last two runs are always there to compare.

// Suffixes of the directories beside a published run.
const (
	// WorkingSuffix names the directory a run writes into until it ends.
	WorkingSuffix = ".partial"
	// PreviousSuffix names the run a newer one replaced.
	PreviousSuffix = ".prev"
)

// Working is a run directory being written.
type Working struct {
	// Dir is where the run writes; Final is where Publish puts it.
	Dir, Final string
	// lock is held from Begin to Publish or Discard (or the process's
	// end, however it ends), so a second run writing to the same place is
	// refused instead of taking the first one's working directory for a
	// dead run's.
	lock *os.File
}

// LockSuffix names the file beside a run directory whose lock its writer
// holds. The file stays: removing it would let two runs lock two files.
const LockSuffix = ".lock"

// CrashedSuffix, with the time the dead run last wrote, names the working
// directory of a run that died before publishing what it measured.
const CrashedSuffix = ".crashed-"

// Stale is what Begin found of a run that died before publishing.
type Stale struct {
	// Kept is where its results now are (DIR.crashed-TIME); "" when it had
	// measured nothing.
	Kept string
	// Removed is the working directory removed because it held no results
	// (only the logs of a stack that would not start).
	Removed string
}

// Begin creates a fresh working directory for a run to be published at
// final, after checking that final's parent can be written. A working
// directory left behind by a run that died is moved aside first, as
// final.crashed-TIME, when it holds results (they load with `loadtest
// report`, marked incomplete), and removed when it holds none. Nothing at
// final is touched.
func Begin(final string) (w Working, stale Stale, err error) {
	final = filepath.Clean(final)
	if st, err := os.Stat(final); err == nil && !st.IsDir() {
		return Working{}, Stale{}, fmt.Errorf("output %s: exists and is not a directory", final)
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return Working{}, Stale{}, fmt.Errorf("output %s: %w", final, err)
	}
	lock, err := lockOutput(final)
	if err != nil {
		return Working{}, Stale{}, err
	}
	w = Working{Dir: final + WorkingSuffix, Final: final, lock: lock}
	if stale, err = setAside(w.Dir, final); err != nil {
		w.unlock()
		return Working{}, Stale{}, err
	}
	if err := os.Mkdir(w.Dir, 0o755); err != nil {
		w.unlock()
		return Working{}, Stale{}, fmt.Errorf("output %s: %w", final, err)
	}
	return w, stale, nil
}

// setAside moves a dead run's working directory out of the way, keeping its
// results.
func setAside(dir, final string) (Stale, error) {
	if _, err := os.Stat(dir); err != nil {
		return Stale{}, nil
	}
	raw, err := os.Stat(filepath.Join(dir, ResultsFile))
	if err != nil || raw.Size() == 0 {
		if err := os.RemoveAll(dir); err != nil {
			return Stale{}, fmt.Errorf("output %s: remove the dead run's %s: %w", final, dir, err)
		}
		return Stale{Removed: dir}, nil
	}
	kept := final + CrashedSuffix + raw.ModTime().UTC().Format("20060102T150405Z")
	if _, err := os.Stat(kept); err == nil {
		return Stale{}, fmt.Errorf("output %s: both %s and %s hold a dead run's results; read and move one", final, dir, kept)
	}
	if err := os.Rename(dir, kept); err != nil {
		return Stale{}, fmt.Errorf("output %s: keep the dead run's results: %w", final, err)
	}
	return Stale{Kept: kept}, nil
}

// Publish puts the working directory in place: the run at Final, if any,
// becomes Final.prev. On an error the working directory is left as it is,
// so nothing measured is lost.
func (w Working) Publish() error {
	defer w.unlock()
	prev := w.Final + PreviousSuffix
	if _, err := os.Stat(w.Final); err == nil {
		if err := os.RemoveAll(prev); err != nil {
			return fmt.Errorf("publish %s: remove %s: %w", w.Final, prev, err)
		}
		if err := os.Rename(w.Final, prev); err != nil {
			return fmt.Errorf("publish %s: keep the previous run as %s: %w", w.Final, prev, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("publish %s: %w", w.Final, err)
	}
	if err := os.Rename(w.Dir, w.Final); err != nil {
		return fmt.Errorf("publish %s: %w (the run is in %s)", w.Final, err, w.Dir)
	}
	return nil
}

// Discard removes the working directory of a run that measured nothing.
func (w Working) Discard() error {
	defer w.unlock()
	return os.RemoveAll(w.Dir)
}

// lockOutput takes the lock of the run directory final, or says which
// process holds it.
func lockOutput(final string) (*os.File, error) {
	path := final + LockSuffix
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("output %s: %w", final, err)
	}
	if err := tryLock(f); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, errLocked) {
			return nil, fmt.Errorf("output %s: another run (pid %s) is writing it", final, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("output %s: lock %s: %w", final, path, err)
	}
	// The pid is for the message above only; the lock itself is the proof.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// Leave gives up the output without publishing or discarding: the working
// directory stays as it is (the logs of a stack that would not start), for
// the next run to set aside, as a run that died leaves it.
func (w Working) Leave() { w.unlock() }

func (w Working) unlock() {
	if w.lock != nil {
		w.lock.Close() // closing the descriptor releases its lock
	}
}
