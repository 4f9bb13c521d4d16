package ledger

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	tests := []struct {
		name, line string
		want       stat
		wantErr    bool
	}{
		{name: "plain", line: "42 (redis-server) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 9876 0 0",
			want: stat{state: 'S', pgrp: 42, start: 9876}},
		// The command name is the program's to choose: spaces and
		// parentheses in it must not shift the fields.
		{name: "spaces and parens in the name", line: "7 (a) b (c) R 1 99 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 123 0 0",
			want: stat{state: 'R', pgrp: 99, start: 123}},
		{name: "zombie", line: "8 (x) Z 1 8 8 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0",
			want: stat{state: 'Z', pgrp: 8, start: 5}},
		{name: "no name", line: "8 x Z 1 8", wantErr: true},
		{name: "short", line: "8 (x) S 1 8 8", wantErr: true},
		{name: "bad pgrp", line: "8 (x) S 1 eight 8 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", wantErr: true},
		{name: "bad start", line: "8 (x) S 1 8 8 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 -5 0 0", wantErr: true},
		{name: "long state", line: "8 (x) SS 1 8 8 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStat([]byte(tt.line))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err == nil && got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("42 (redis-server) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 9876 0 0"))
	f.Add([]byte("7 (a) b (c) R 1 99 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 123 0 0"))
	f.Add([]byte(")"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseStat(data)
		if err != nil {
			return
		}
		// What parses names a one-letter state and a group that a
		// later field could not have shifted.
		if st.state == 0 {
			t.Errorf("parsed %q with no state", data)
		}
	})
}

// startGroup starts a sleeping shell that leads its own group and has a
// child in it, as a target instance has its workers.
func startGroup(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sh", "-c", "sleep 60 & sleep 60; wait")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
	})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if n, _ := groupMembers([]Proc{mustProc(t, cmd.Process.Pid)}); len(n) >= 3 {
			return cmd
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("the group never had its three processes")
	return nil
}

func mustProc(t *testing.T, pid int) Proc {
	t.Helper()
	p, err := procOf("test", pid)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDeadRunsProcessesAreKilled records a group under an owner that has
// exited, then checks that the record is read as dead and that killing its
// processes kills the leader and its children, and nothing else.
func TestDeadRunsProcessesAreKilled(t *testing.T) {
	dir := t.TempDir()
	group := startGroup(t)
	bystander := startGroup(t)

	owner := exec.Command("true")
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	ownerProc := mustProc(t, owner.Process.Pid)
	owner.Wait()
	e := &Entry{rec: Record{Owner: ownerProc, Started: time.Now(), path: filepath.Join(dir, "dead.json")}}
	if err := e.Process("sh", group.Process.Pid); err != nil {
		t.Fatal(err)
	}

	live, err := Begin(dir, "out")
	if err != nil {
		t.Fatal(err)
	}
	recs, err := Records(dir)
	if err != nil || len(recs) != 2 {
		t.Fatalf("records: %d, %v", len(recs), err)
	}
	var dead Record
	for _, r := range recs {
		if r.Owner.Pid == os.Getpid() {
			if !r.Alive() {
				t.Errorf("this process's record reads as dead")
			}
			continue
		}
		if r.Alive() {
			t.Errorf("the exited owner's record reads as alive")
		}
		dead = r
	}
	killed, err := dead.KillProcesses()
	if err != nil {
		t.Fatal(err)
	}
	if len(killed) != 3 {
		t.Errorf("killed %v, want the shell and its two sleeps", killed)
	}
	group.Wait()
	// SIGKILL is delivered, not awaited: give the orphans a moment to die.
	left, _ := dead.Processes()
	for deadline := time.Now().Add(2 * time.Second); len(left) > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
		left, _ = dead.Processes()
	}
	if len(left) != 0 {
		t.Errorf("%v still up 2 s after the kill", left)
	}
	if left, _ := groupMembers([]Proc{mustProc(t, bystander.Process.Pid)}); len(left) != 3 {
		t.Errorf("the bystander group has %d processes, want its 3 untouched", len(left))
	}
	if err := dead.Forget(); err != nil {
		t.Fatal(err)
	}
	if err := live.Done(); err != nil {
		t.Fatal(err)
	}
	if recs, _ := Records(dir); len(recs) != 0 {
		t.Errorf("%d records left after Forget and Done", len(recs))
	}
}

// TestAReusedPidIsNotKilled: a record names a pid with the start time it
// had; a live process with that pid and another start time is someone
// else's, and so is its group, whatever its members' start times.
func TestAReusedPidIsNotKilled(t *testing.T) {
	group := startGroup(t)
	recorded := mustProc(t, group.Process.Pid)
	for _, shift := range []int64{+1, -1, +1000} {
		p := recorded
		p.Start = uint64(int64(p.Start) + shift)
		if left, _ := (Record{Groups: []Proc{p}}).Processes(); len(left) != 0 {
			t.Errorf("a leader recorded %+d ticks off still names %v", shift, left)
		}
	}
	if left, _ := (Record{Groups: []Proc{recorded}}).Processes(); len(left) != 3 {
		t.Errorf("the recorded group lists %v, want its 3 processes", left)
	}
}

func TestUnreadableRecordIsReported(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "1-1.json"), []byte("{half"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Records(dir); err == nil {
		t.Error("a record cut in half read without error")
	}
	if _, err := os.Stat(filepath.Join(dir, "1-1.json")); err != nil {
		t.Errorf("the unreadable record was removed: %v", err)
	}
}
