package loadharness_test

import (
	"testing"

	"loadharness"
)

func TestJudge(t *testing.T) {
	pass := loadharness.GateResult{Pass: true}
	fail := loadharness.GateResult{Pass: false}
	missing := loadharness.GateResult{Missing: true}
	gates := func(rs ...loadharness.GateResult) []loadharness.GateResult { return rs }
	tests := []struct {
		name        string
		evidence    loadharness.Evidence
		wantVerdict loadharness.Verdict
		wantExit    int
	}{
		{"no gates", loadharness.Evidence{}, loadharness.VerdictPass, loadharness.ExitPass},
		{"all pass", loadharness.Evidence{Gates: gates(pass, pass)}, loadharness.VerdictPass, loadharness.ExitPass},
		{"one fails", loadharness.Evidence{Gates: gates(pass, fail)}, loadharness.VerdictFail, loadharness.ExitFail},
		{"missing fails", loadharness.Evidence{Gates: gates(pass, missing)}, loadharness.VerdictFail, loadharness.ExitFail},
		{"generator bound beats pass", loadharness.Evidence{Gates: gates(pass), Invalid: []string{"behind"}}, loadharness.VerdictInvalid, loadharness.ExitInvalid},
		{"generator bound beats fail", loadharness.Evidence{Gates: gates(fail), Invalid: []string{"behind"}}, loadharness.VerdictInvalid, loadharness.ExitInvalid},
		{"abort fails passing gates", loadharness.Evidence{Gates: gates(pass), Aborted: "errors"}, loadharness.VerdictFail, loadharness.ExitFail},
		{"abort of a generator-bound run is invalid", loadharness.Evidence{Aborted: "errors", Invalid: []string{"behind"}}, loadharness.VerdictInvalid, loadharness.ExitInvalid},
		{"interrupt beats everything", loadharness.Evidence{Gates: gates(fail), Aborted: "errors", Invalid: []string{"behind"}, Interrupted: true}, loadharness.VerdictInvalid, loadharness.ExitInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := loadharness.Judge(tt.evidence)
			if got.Verdict != tt.wantVerdict || got.ExitCode != tt.wantExit {
				t.Errorf("Judge = %v exit %d (%s), want %v exit %d", got.Verdict, got.ExitCode, got.Reason, tt.wantVerdict, tt.wantExit)
			}
			if got.Reason == "" {
				t.Error("Judge gave no reason")
			}
		})
	}
	if got, want := loadharness.FailedGates([]loadharness.GateResult{pass, fail, missing}), 2; got != want {
		t.Errorf("FailedGates = %d, want %d", got, want)
	}
}
