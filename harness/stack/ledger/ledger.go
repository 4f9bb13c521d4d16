// Package ledger keeps, while a run is up, a record of what it started
// outside its own process: the process groups of a process stack and the
// run label of a container stack. A harness killed with SIGKILL cannot tear
// anything down; the next run reads the records whose owner is dead and
// removes what they name (see Dead and KillProcesses), so no container or
// process outlives its run for longer than the next run takes to start.
//
// A record is one small JSON file per run in the state directory, rewritten
// whole (by rename) at each change and removed when the run tears down. A
// process is named by its pid and its start time since boot, so a pid the
// kernel has since given to another program is never killed.
package ledger

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// StateDirEnv overrides the state directory (tests give each run its own).
const StateDirEnv = "LOADHARNESS_STATE_DIR"

// DefaultDir is where records live: $LOADHARNESS_STATE_DIR, else
// $XDG_STATE_HOME/loadharness/live, else ~/.local/state/loadharness/live.
func DefaultDir() string {
	if d := os.Getenv(StateDirEnv); d != "" {
		return d
	}
	if d := os.Getenv("XDG_STATE_HOME"); d != "" {
		return filepath.Join(d, "loadharness", "live")
	}
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".local", "state", "loadharness", "live")
	}
	return filepath.Join(os.TempDir(), "loadharness-live")
}

// Proc names one process: its pid and its start time in clock ticks since
// boot (field 22 of /proc/PID/stat), which together never name another.
type Proc struct {
	Name  string `json:"name"`
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// Record is what one run has up.
type Record struct {
	Owner   Proc      `json:"owner"`
	Out     string    `json:"out,omitempty"`
	Started time.Time `json:"started"`
	// Groups are the process groups the run started (each child leads
	// its own group; its workers are in it).
	Groups []Proc `json:"groups,omitempty"`
	// DockerRuns are the values of the docker provider's run label.
	DockerRuns []string `json:"docker_runs,omitempty"`

	path string
}

// Entry is the live record of the running harness. Its methods are safe
// for concurrent use; a nil *Entry records nothing.
type Entry struct {
	mu  sync.Mutex
	rec Record
}

// Begin writes a record for this process in dir, for a run writing to out
// ("" when it does not say yet).
func Begin(dir, out string) (*Entry, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("run ledger: %w", err)
	}
	self, err := procOf("loadtest", os.Getpid())
	if err != nil {
		return nil, fmt.Errorf("run ledger: %w", err)
	}
	var abs string
	if out != "" {
		abs, _ = filepath.Abs(out)
	}
	e := &Entry{rec: Record{
		Owner: self, Out: abs, Started: time.Now().UTC(),
		path: filepath.Join(dir, fmt.Sprintf("%d-%d.json", self.Pid, self.Start)),
	}}
	return e, e.save()
}

// Process records a child that leads its own process group.
func (e *Entry) Process(name string, pid int) error {
	if e == nil {
		return nil
	}
	p, err := procOf(name, pid)
	if err != nil {
		return fmt.Errorf("run ledger: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rec.Groups = append(e.rec.Groups, p)
	return e.saveLocked()
}

// DockerRun records the run label of a container stack, before its first
// container is created.
func (e *Entry) DockerRun(id string) error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.rec.DockerRuns = append(e.rec.DockerRuns, id)
	return e.saveLocked()
}

// Done removes the record: everything it named was torn down.
func (e *Entry) Done() error {
	if e == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if err := os.Remove(e.rec.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("run ledger: %w", err)
	}
	return nil
}

func (e *Entry) save() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.saveLocked()
}

// saveLocked writes the record whole, by rename, so a reader (or a crash)
// never meets half of it.
func (e *Entry) saveLocked() error {
	data, err := json.MarshalIndent(e.rec, "", "  ")
	if err != nil {
		return fmt.Errorf("run ledger: %w", err)
	}
	tmp := e.rec.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return fmt.Errorf("run ledger: %w", err)
	}
	if err := os.Rename(tmp, e.rec.path); err != nil {
		return fmt.Errorf("run ledger: %w", err)
	}
	return nil
}

// Records reads every record in dir, sorted by start. A record that cannot
// be read is reported, not skipped silently, and not removed.
func Records(dir string) ([]Record, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("run ledger: %w", err)
	}
	var recs []Record
	var errs []error
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue // its run tore down meanwhile
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("run ledger %s: %w", p, err))
			continue
		}
		var r Record
		if err := json.Unmarshal(data, &r); err != nil {
			errs = append(errs, fmt.Errorf("run ledger %s: %w", p, err))
			continue
		}
		r.path = p
		recs = append(recs, r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Started.Before(recs[j].Started) })
	return recs, errors.Join(errs...)
}

// Alive says whether the record's harness still runs.
func (r Record) Alive() bool { return alive(r.Owner) }

// Path is the record's file.
func (r Record) Path() string { return r.path }

// Forget removes a dead run's record once what it named is gone.
func (r Record) Forget() error {
	if err := os.Remove(r.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("run ledger: %w", err)
	}
	return nil
}

// Processes lists the live processes of the record's groups: each leader
// still the one recorded, and every member of its group started after it.
func (r Record) Processes() ([]int, error) {
	if len(r.Groups) == 0 {
		return nil, nil
	}
	return groupMembers(r.Groups)
}

// KillProcesses sends SIGKILL to every process still in the record's
// groups: the leader when it is the one recorded, and every member of its
// group started after it (a leader's workers can outlive it). It returns
// the pids it killed.
func (r Record) KillProcesses() ([]int, error) {
	members, err := r.Processes()
	if err != nil {
		return nil, err
	}
	var killed []int
	var errs []error
	for _, pid := range members {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			if !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, fmt.Errorf("kill pid %d: %w", pid, err))
			}
			continue
		}
		killed = append(killed, pid)
	}
	return killed, errors.Join(errs...)
}

// groupMembers lists the live processes that belong to one of groups: in
// the group the recorded leader led, and started no earlier than it.
func groupMembers(groups []Proc) ([]int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	// The kernel gives no new process a pid that is some group's id while
	// that group has members: a leader pid alive with another start time
	// means the recorded group is gone whole and the pid was reused, and
	// its group now is someone else's.
	leaders := map[int]uint64{}
	for _, g := range groups {
		if st, err := readStat(g.Pid); err == nil && st.start != g.Start {
			continue
		}
		leaders[g.Pid] = g.Start
	}
	var pids []int
	for _, ent := range entries {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil {
			continue
		}
		st, err := readStat(pid)
		if err != nil {
			continue // gone meanwhile
		}
		if st.state == 'Z' || st.state == 'X' {
			continue // dead, waiting to be reaped
		}
		if start, ok := leaders[st.pgrp]; ok && st.start >= start {
			pids = append(pids, pid)
		}
	}
	sort.Ints(pids)
	return pids, nil
}

// alive says whether p still runs (and is the same process).
func alive(p Proc) bool {
	st, err := readStat(p.Pid)
	return err == nil && st.start == p.Start && st.state != 'Z'
}

func procOf(name string, pid int) (Proc, error) {
	st, err := readStat(pid)
	if err != nil {
		return Proc{}, fmt.Errorf("process %s (pid %d): %w", name, pid, err)
	}
	return Proc{Name: name, Pid: pid, Start: st.start}, nil
}

type stat struct {
	state byte
	pgrp  int
	start uint64
}

// readStat reads the fields of /proc/PID/stat the ledger needs. The
// command name (field 2) is in parentheses and may hold spaces, so fields
// are counted from its closing parenthesis.
func readStat(pid int) (stat, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, err
	}
	return parseStat(data)
}

func parseStat(data []byte) (stat, error) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return stat{}, errors.New("stat: no command name")
	}
	// After ")": state(3) ppid(4) pgrp(5) ... starttime(22).
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 20 {
		return stat{}, fmt.Errorf("stat: %d fields after the command, want 20", len(f))
	}
	pgrp, err := strconv.Atoi(f[2])
	if err != nil {
		return stat{}, fmt.Errorf("stat: pgrp: %w", err)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return stat{}, fmt.Errorf("stat: starttime: %w", err)
	}
	if len(f[0]) != 1 || !('A' <= f[0][0] && f[0][0] <= 'Z' || 'a' <= f[0][0] && f[0][0] <= 'z') {
		return stat{}, fmt.Errorf("stat: state %q is not one letter", f[0])
	}
	return stat{state: f[0][0], pgrp: pgrp, start: start}, nil
}
