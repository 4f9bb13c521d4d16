package capacity

import (
	"loadharness"
	"loadharness/scenarios/suite"
)

// LossReport is what a run shows of the "before" shape's concrete failures:
// where users lost their sessions, whose data went missing, and the data
// sets the session could not hold.
type LossReport struct {
	// UsersLost counts users whose session was lost at least once; each is
	// classified once, by the first loss, against where its data set was
	// uploaded.
	UsersLost int `json:"users_lost"`
	// AcrossWorkers: the loss was served by the instance that took the
	// upload, but by another worker (sessions in one worker's memory).
	AcrossWorkers int `json:"across_workers"`
	// AcrossInstances: the loss was served by another instance.
	AcrossInstances int `json:"across_instances"`
	// SameWorker: served where the upload was, yet lost: another worker
	// had meanwhile answered with a fresh session and replaced the cookie
	// (or the process restarted).
	SameWorker int `json:"same_worker"`
	// DataMissing counts users that got a 500 on a session-checked step from
	// another instance than their upload's: the reference target's answer
	// when a data set lives on the other instance's disk.
	DataMissing int `json:"data_missing"`
	// TooLarge counts 507 answers: a data set too large for the session.
	TooLarge int `json:"too_large"`
}

// lossSink classifies lost sessions as results stream by. It keeps one
// entry per user that uploaded, so its memory grows with users, never with
// requests.
type lossSink struct {
	capture, checked map[string]map[string]bool // scenario → step names
	home             map[userKey]servedBy
	lost, missing    map[userKey]bool
	report           LossReport
}

type userKey struct {
	scenario string
	user     uint32
}

type servedBy struct{ instance, worker string }

var _ loadharness.Sink = (*lossSink)(nil)

// newLossSink knows the suite's capture and session-checked steps.
func newLossSink(s *suite.Suite) *lossSink {
	l := &lossSink{
		capture: map[string]map[string]bool{}, checked: map[string]map[string]bool{},
		home: map[userKey]servedBy{}, lost: map[userKey]bool{}, missing: map[userKey]bool{},
	}
	for _, sc := range s.Scenarios {
		l.capture[sc.Name], l.checked[sc.Name] = map[string]bool{}, map[string]bool{}
		for _, list := range [][]suite.Step{sc.Setup, sc.Steps} {
			for _, st := range list {
				if st.Capture {
					l.capture[sc.Name][st.Name] = true
				}
				if st.Expect.Session {
					l.checked[sc.Name][st.Name] = true
				}
			}
		}
	}
	return l
}

// Add classifies r.
func (l *lossSink) Add(r *loadharness.Result) {
	key := userKey{r.Scenario, r.User}
	at := servedBy{r.Instance, r.Worker}
	if r.Code == 507 {
		l.report.TooLarge++
	}
	if l.capture[r.Scenario][r.Step] && r.Code >= 200 && r.Code < 300 {
		l.home[key] = at
		return
	}
	home, uploaded := l.home[key]
	if r.Session == loadharness.SessionLost && !l.lost[key] {
		l.lost[key] = true
		l.report.UsersLost++
		switch {
		case !uploaded || home.instance != at.instance:
			l.report.AcrossInstances++
		case home.worker != at.worker:
			l.report.AcrossWorkers++
		default:
			l.report.SameWorker++
		}
	}
	if r.Code == 500 && uploaded && l.checked[r.Scenario][r.Step] && home.instance != at.instance && !l.missing[key] {
		l.missing[key] = true
		l.report.DataMissing++
	}
}

// Close does nothing.
func (l *lossSink) Close() error { return nil }
