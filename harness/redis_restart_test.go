package harness_test

import (
	"os/exec"
	"testing"

	"loadharness"
)

// TestRedisRestartKeepsSessionsOnlyWithAppendOnly restarts Redis under load:
// with append-only persistence every session survives, without it they are
// lost, and the summary says which persistence ran.
func TestRedisRestartKeepsSessionsOnlyWithAppendOnly(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		// The embedded Redis lives in the harness's process: a restart
		// of it loses nothing, so the case without persistence cannot
		// show a loss. .ci/run installs redis-server.
		t.Skip("redis-server not on PATH: a restart of the embedded Redis cannot lose data")
	}
	cases := []struct {
		file        string
		persistence string
		want        loadharness.Verdict
	}{
		{"testdata/redis-restart-aof.yaml", "aof", loadharness.VerdictPass},
		{"testdata/redis-restart-none.yaml", "none", loadharness.VerdictFail},
	}
	for _, tc := range cases {
		t.Run(tc.persistence, func(t *testing.T) {
			s := MustRunSuite(t, tc.file)
			if got, want := s.Stack.RedisPersistence, tc.persistence; got != want {
				t.Errorf("summary says persistence %q, want %q", got, want)
			}
			restarted := false
			for _, ev := range s.Events {
				restarted = restarted || ev.Kind == "restart-redis"
			}
			if !restarted {
				t.Fatalf("no restart-redis event in %+v", s.Events)
			}
			sc := scenarioByName(t, s, "restart")
			t.Logf("persistence %s: sessions lost %d of %d checked, failed %d of %d requests",
				tc.persistence, sc.SessionsLost, sc.SessionsChecked, sc.Failed, sc.Requests)
			if got, want := s.Verdict, tc.want; got != want {
				t.Fatalf("verdict = %s, want %s (sessions lost %d of %d)", got, want, sc.SessionsLost, sc.SessionsChecked)
			}
			if tc.persistence == "none" && sc.SessionsLost == 0 {
				t.Errorf("no session lost although Redis restarted without persistence")
			}
		})
	}
}
