package aggregate

import (
	"testing"
	"time"

	"loadharness"
)

// TestSessionRule pins the rule of docs/sessions.md on sequences of results,
// the way the engine writes them (one user's results in send order).
func TestSessionRule(t *testing.T) {
	const (
		kept      = loadharness.SessionKept
		lost      = loadharness.SessionLost
		unproven  = loadharness.SessionUnproven
		unchecked = loadharness.SessionUnchecked
	)
	type hit struct {
		user    uint32
		session loadharness.SessionOutcome
		dataset string // a capture
	}
	tests := []struct {
		name                            string
		hits                            []hit
		checked, lostN, verified, unver int
		measured                        bool
	}{
		{"nothing checked: not measured", []hit{{1, unchecked, ""}, {2, unchecked, ""}}, 0, 0, 0, 0, false},
		{"captured, never checked: unverified, not measured", []hit{{1, unchecked, "a"}}, 0, 0, 0, 1, false},
		{"proven", []hit{{1, unchecked, "a"}, {1, kept, ""}}, 1, 0, 1, 0, true},
		{"(a) a mix-up is lost whatever follows", []hit{{1, unchecked, "a"}, {1, lost, ""}, {1, kept, ""}}, 1, 1, 0, 0, true},
		{"(b) one data set, two users: both lost", []hit{{1, unchecked, "a"}, {2, unchecked, "a"}, {1, kept, ""}, {2, kept, ""}}, 2, 2, 0, 0, true},
		{"(b) a data set given up is free again", []hit{{1, unchecked, "a"}, {1, unchecked, "b"}, {2, unchecked, "a"}, {1, kept, ""}, {2, kept, ""}}, 2, 0, 2, 0, true},
		{"(c) unproven to the end: lost", []hit{{1, unchecked, "a"}, {1, kept, ""}, {1, unproven, ""}, {1, unproven, ""}}, 1, 1, 0, 0, true},
		{"(c) unproven then proof: kept", []hit{{1, unchecked, "a"}, {1, unproven, ""}, {1, kept, ""}}, 1, 0, 1, 0, true},
		{"(c) never proven at all: lost", []hit{{1, unchecked, "a"}, {1, unproven, ""}}, 1, 1, 0, 0, true},
	}
	start := time.Unix(1_700_000_000, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := New(start)
			for i, h := range tt.hits {
				sent := start.Add(time.Duration(i) * time.Millisecond)
				a.Add(&loadharness.Result{Scenario: "s", Step: "x", User: h.user, Sent: sent, Intended: sent,
					Code: 200, Session: h.session, Dataset: h.dataset})
			}
			st := a.Snapshot(loadharness.Scope{Scenario: "s"})
			if st.SessionsChecked != tt.checked || st.SessionsLost != tt.lostN || st.SessionsVerified != tt.verified || st.SessionsUnverified != tt.unver {
				t.Errorf("checked %d lost %d verified %d unverified %d; want %d %d %d %d",
					st.SessionsChecked, st.SessionsLost, st.SessionsVerified, st.SessionsUnverified, tt.checked, tt.lostN, tt.verified, tt.unver)
			}
			m := loadharness.Metric{Name: loadharness.MetricSessionsLost, Kind: loadharness.KindCount}
			got, ok := a.Measure(m, loadharness.Scope{Scenario: "s"})
			if ok != tt.measured || (ok && int(got) != tt.lostN) {
				t.Errorf("Measure(sessions_lost) = %v, %v; want %d, %v", got, ok, tt.lostN, tt.measured)
			}
		})
	}
}

// TestSessionRuleAcrossShards: two shards' users capture one data set; only
// the merge sees both, and counts both lost.
func TestSessionRuleAcrossShards(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	shard := func(user uint32) *Aggregate {
		a := New(start)
		a.Add(&loadharness.Result{Scenario: "s", Step: "upload", User: user, Sent: start, Code: 201, Dataset: "same"})
		a.Add(&loadharness.Result{Scenario: "s", Step: "map", User: user, Sent: start.Add(time.Second), Code: 200, Session: loadharness.SessionKept})
		return a
	}
	a, b := shard(1), shard(2)
	if got := a.Snapshot(loadharness.Scope{Scenario: "s"}).SessionsLost; got != 0 {
		t.Fatalf("one shard alone: lost %d, want 0", got)
	}
	if err := a.Merge(b); err != nil {
		t.Fatal(err)
	}
	if got, want := a.Snapshot(loadharness.Scope{Scenario: "s"}).SessionsLost, 2; got != want {
		t.Errorf("merged: lost %d, want %d", got, want)
	}
}

// TestSessionRuleSpansPhases: the data sets are captured in setup and
// checked in the main phase; one data set captured by two users in setup is
// still a mix-up of the scenario.
func TestSessionRuleSpansPhases(t *testing.T) {
	start := time.Unix(1_700_000_000, 0)
	a := New(start)
	for u := range uint32(2) {
		a.Add(&loadharness.Result{Scenario: "s", Step: "upload", Phase: loadharness.PhaseSetup, User: u, Sent: start, Code: 201, Dataset: "same"})
	}
	for u := range uint32(2) {
		a.Add(&loadharness.Result{Scenario: "s", Step: "map", User: u, Sent: start.Add(time.Second), Code: 200, Session: loadharness.SessionKept})
	}
	st := a.Snapshot(loadharness.Scope{Scenario: "s"})
	if st.SessionsLost != 2 || st.Requests != 2 {
		t.Errorf("lost %d of %d main requests; want both users lost and only the 2 main requests", st.SessionsLost, st.Requests)
	}
}
