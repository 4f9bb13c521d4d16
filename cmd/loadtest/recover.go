package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"loadharness/harness/stack/docker"
	"loadharness/harness/stack/ledger"
)

// beginLedger cleans up after the runs that died before their teardown
// (kill -9, a crash, a lost machine), as their ledger records name, says what
// it removed, and records this run, writing to out, in the ledger. A live
// run writing to the same out is an error: two runs would mix their files.
func beginLedger(ctx context.Context, out string, logf func(string, ...any)) (*ledger.Entry, error) {
	dir := ledger.DefaultDir()
	recs, err := ledger.Records(dir)
	if err != nil {
		logf("WARNING: %v", err)
	}
	var abs string
	if out != "" {
		abs, _ = filepath.Abs(out)
	}
	for _, r := range recs {
		if r.Alive() {
			if abs != "" && r.Out == abs {
				return nil, fmt.Errorf("output %s: a run (pid %d, started %s) is writing it", out, r.Owner.Pid, r.Started.Local().Format(time.DateTime))
			}
			continue
		}
		removed, err := cleanUpDeadRun(ctx, r)
		if len(removed) > 0 {
			logf("removed what a run that died (pid %d, started %s, writing %s) left up: %s", r.Owner.Pid,
				r.Started.Local().Format(time.DateTime), r.Out, strings.Join(removed, ", "))
		}
		if err != nil {
			logf("WARNING: cleaning up after the run that died (pid %d): %v; its record stays in %s", r.Owner.Pid, err, r.Path())
			continue
		}
		if err := r.Forget(); err != nil {
			logf("WARNING: %v", err)
		}
	}
	return ledger.Begin(dir, out)
}

// cleanUpDeadRun kills what is left of a dead run's processes and removes
// its containers and networks, and says what it removed.
func cleanUpDeadRun(ctx context.Context, r ledger.Record) ([]string, error) {
	var removed []string
	killed, err := r.KillProcesses()
	if len(killed) > 0 {
		removed = append(removed, fmt.Sprintf("%s (pids %s)", plural(len(killed), "process"), joinInts(killed)))
	}
	if err != nil {
		return removed, err
	}
	for _, id := range r.DockerRuns {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		n, err := docker.RemoveRun(ctx, id)
		cancel()
		if n.Containers > 0 {
			removed = append(removed, fmt.Sprintf("%s of docker run %s", plural(n.Containers, "container"), id))
		}
		if n.Networks > 0 {
			removed = append(removed, fmt.Sprintf("%s of docker run %s", plural(n.Networks, "network"), id))
		}
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

func plural(n int, word string) string {
	switch {
	case n == 1:
		return "1 " + word
	case strings.HasSuffix(word, "s"):
		return fmt.Sprintf("%d %ses", n, word)
	default:
		return fmt.Sprintf("%d %ss", n, word)
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, " ")
}
