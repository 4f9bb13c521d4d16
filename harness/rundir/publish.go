package rundir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
}

// Begin creates a fresh working directory for a run to be published at
// final, after checking that final's parent can be written. A working
// directory left behind by a run that died is removed first: stale says
// which, so the caller can tell the user. Nothing at final is touched.
func Begin(final string) (w Working, stale string, err error) {
	final = filepath.Clean(final)
	if st, err := os.Stat(final); err == nil && !st.IsDir() {
		return Working{}, "", fmt.Errorf("output %s: exists and is not a directory", final)
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return Working{}, "", fmt.Errorf("output %s: %w", final, err)
	}
	w = Working{Dir: final + WorkingSuffix, Final: final}
	if _, err := os.Stat(w.Dir); err == nil {
		if err := os.RemoveAll(w.Dir); err != nil {
			return Working{}, "", fmt.Errorf("output %s: remove the dead run's %s: %w", final, w.Dir, err)
		}
		stale = w.Dir
	}
	if err := os.Mkdir(w.Dir, 0o755); err != nil {
		return Working{}, "", fmt.Errorf("output %s: %w", final, err)
	}
	return w, stale, nil
}

// Publish puts the working directory in place: the run at Final, if any,
// becomes Final.prev. On an error the working directory is left as it is,
// so nothing measured is lost.
func (w Working) Publish() error {
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
	return os.RemoveAll(w.Dir)
}
