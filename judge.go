package loadharness

import "strconv"

// Evidence is everything a verdict rests on. Runs, reloaded runs, merged
// shards, comparisons and capacity probes all hand theirs to Judge, so that
// a run means the same whichever command looks at it.
type Evidence struct {
	// Gates are the gates judged on the run's figures.
	Gates []GateResult
	// Invalid says why the generator, not the target, limited the run (it
	// fell behind the asked rate, ran out of CPU); any reason makes the run
	// prove nothing either way.
	Invalid []string
	// Aborted is why the run was stopped early because the target was
	// clearly failing; "" when it ran to its end.
	Aborted string
	// Interrupted says the run was cut short from outside (Ctrl-C, a
	// deadline): its figures cover only what ran.
	Interrupted bool
}

// Judgement is a verdict with the exit code that reports it and the reason
// for people.
type Judgement struct {
	Verdict  Verdict
	ExitCode int
	// Reason says in one line what decided the verdict.
	Reason string
}

// Judge is the one place a verdict is decided. In order:
//   - an interrupted run is invalid (exit 130): what did not run proves
//     nothing;
//   - a run the generator could not hold is invalid (exit 3), whatever the
//     gates say: a failing gate may be the generator's doing, a passing one
//     was not tested at the asked load;
//   - an aborted run failed (exit 1): the target was failing clearly enough
//     to stop it, whatever the gates of what ran say;
//   - a run with any gate that failed or could not be measured failed;
//   - otherwise it passed.
func Judge(e Evidence) Judgement {
	switch {
	case e.Interrupted:
		return Judgement{VerdictInvalid, ExitInterrupted, "the run was interrupted: the figures cover only what ran"}
	case len(e.Invalid) > 0:
		return Judgement{VerdictInvalid, ExitInvalid, "the generator could not hold the load: " + e.Invalid[0]}
	case e.Aborted != "":
		return Judgement{VerdictFail, ExitFail, "aborted: " + e.Aborted}
	}
	if n := FailedGates(e.Gates); n > 0 {
		return Judgement{VerdictFail, ExitFail, plural(n, "gate") + " failed"}
	}
	return Judgement{VerdictPass, ExitPass, "every gate held"}
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}
