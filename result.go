package loadharness

import "time"

// SessionOutcome says what a response proved about its virtual user's session.
type SessionOutcome uint8

const (
	// SessionUnchecked means the response was not checked for session integrity
	// (no data set had been uploaded yet, or the step does not check it).
	SessionUnchecked SessionOutcome = iota
	// SessionKept means the response showed the user's own data set.
	SessionKept
	// SessionLost means the response named a data set other than the user's
	// (or the user's with another checksum): a mix-up, whatever its status.
	SessionLost
	// SessionUnproven means the response was checked but proved nothing: it
	// named no data set (a 404, 410 or 5xx, a transport error). One such
	// response is no loss; a user whose checked responses never prove its
	// data set again until the scenario ends is lost (docs/sessions.md).
	SessionUnproven
)

// String returns the outcome's name as written in raw result files.
func (o SessionOutcome) String() string {
	switch o {
	case SessionKept:
		return "kept"
	case SessionLost:
		return "lost"
	case SessionUnproven:
		return "unproven"
	default:
		return "unchecked"
	}
}

// ParseSessionOutcome is the inverse of SessionOutcome.String; unknown text is
// SessionUnchecked so that a hand-edited file never invents a lost session.
func ParseSessionOutcome(s string) SessionOutcome {
	switch s {
	case "kept":
		return SessionKept
	case "lost":
		return SessionLost
	case "unproven":
		return SessionUnproven
	default:
		return SessionUnchecked
	}
}

// Result is what the harness knows about one request. A request that failed
// (refused connection, 5xx, failed check) is a Result like any other: request
// failures are data, not errors.
type Result struct {
	// Scenario names the scenario that sent the request.
	Scenario string
	// Phase is the part of the scenario that sent it; gates judge the main
	// phase unless they name another.
	Phase Phase
	// Step names the scenario step (for example "upload" or "map"); it is the
	// unit that per-endpoint gates and charts group by.
	Step   string
	Method string
	URL    string
	// User is the virtual user's id, unique within a run (and across shards).
	User uint32
	// Seq orders results of one scenario as they were sent.
	Seq uint64
	// Intended is when the load model meant the request to be sent. In an
	// open model that fell behind it is earlier than Sent; in a closed model
	// it equals Sent. Latency measured from it is free of coordinated omission.
	Intended time.Time
	// Sent is when the request was handed to the network.
	Sent time.Time
	// Latency runs from Sent to the last byte of the response body.
	Latency  time.Duration
	Code     uint16
	Error    string
	BytesIn  uint64
	BytesOut uint64
	// Instance and Worker name who served the request, from the target's
	// response headers; empty when the target does not say.
	Instance string
	Worker   string
	// Session is what the response proved about the user's session.
	Session SessionOutcome
	// Dropped, when not 0, makes this result a record of hits that were
	// never sent: Dropped hits of an open model fell due in the second that
	// starts at Intended, and no request went out for them (Error names the
	// cause, DropUsersBusy or DropGeneratorBehind). Such a record is no
	// request and has no latency; each hit it stands for counts as a
	// failure in error_rate and availability, and in the dropped metric. A
	// skipped step (its Error starts with SkipPrefix) is a record of one
	// hit with its Step: the user lacked a variable the step needs.
	Dropped uint32
	// Dataset is the data set id a capture step took from its response
	// ("" on every other result): two users holding one data set is a
	// mix-up that the aggregates count against both.
	Dataset string
	// CheckFailure names the first check that failed ("" when all passed or
	// none applied), for example `status 200 != 503`.
	CheckFailure string
}

// The causes of dropped hits, as the Error of their record.
const (
	// DropUsersBusy: every virtual user was still waiting for the target
	// when the phase ended, so hits that fell due were never sent.
	DropUsersBusy = "dropped: every user was busy"
	// DropGeneratorBehind: users were free, but the generator did not get
	// to send the hits before the phase ended.
	DropGeneratorBehind = "dropped: the generator fell behind"
	// SkipPrefix begins the Error of a skipped step's record.
	SkipPrefix = "skipped: "
)

// Skipped reports whether r records a step a user skipped.
func (r *Result) Skipped() bool {
	return r.Dropped > 0 && len(r.Error) >= len(SkipPrefix) && r.Error[:len(SkipPrefix)] == SkipPrefix
}

// End is when the last byte of the response arrived.
func (r *Result) End() time.Time { return r.Sent.Add(r.Latency) }

// CorrectedLatency is the latency a user would have seen had the request been
// sent on schedule: from Intended to End. It equals Latency when Intended is
// unset or not earlier than Sent.
func (r *Result) CorrectedLatency() time.Duration {
	if r.Intended.IsZero() || !r.Intended.Before(r.Sent) {
		return r.Latency
	}
	return r.End().Sub(r.Intended)
}

// Failed reports whether the request failed at the transport or HTTP level:
// no response, or a status of 400 or more. Failed checks and lost sessions
// are counted apart, so a gate can tell "the service errored" from "the
// service answered wrongly".
func (r *Result) Failed() bool {
	return r.Error != "" || r.Code == 0 || r.Code >= 400
}
