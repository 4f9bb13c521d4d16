package reports

import (
	"time"

	"loadharness"
	"loadharness/reports/aggregate"
)

// SummarySchemaVersion is the schema_version WriteSummaryJSON writes. It
// changes only when a field changes meaning or goes away; a field added
// keeps it, since readers ignore fields they do not know.
const SummarySchemaVersion = 1

// Summary is the machine-readable account of a run, written as summary.json
// for CI. Its JSON names are a contract: add fields, never rename them.
// docs/summary.schema.json and docs/summary.md are generated from these
// types and their comments (go test ./reports -run SummarySchema -update).
type Summary struct {
	// SchemaVersion is the version of this format, so a script can refuse
	// a summary it does not understand; it changes only when a field
	// changes meaning or goes away. Summaries written before it existed
	// lack it and are version 1.
	SchemaVersion int `json:"schema_version"`
	// Verdict is "pass" (every gate held), "fail" (a gate failed) or
	// "invalid" (the generator could not hold the load: the run proves
	// nothing); the exit code of loadtest run follows it.
	Verdict loadharness.Verdict `json:"verdict"`
	// Suite is the name of the suite that ran.
	Suite string `json:"suite"`
	// RunID identifies the run: the run_id label of the metrics it
	// exported to Prometheus (--prometheus-listen, --remote-write), so a
	// dashboard or a query finds this run's series. loadtest run makes one
	// from the start time in UTC and a random suffix, like
	// 20250729T120000Z-1a2b3c; absent in summaries written before it
	// existed.
	RunID string `json:"run_id,omitempty"`
	// Provider is what brought the stack up: "process", "docker" or
	// "external" (a service someone else runs).
	Provider string `json:"provider"`
	// Started is when the run began on a stack already up: bringing the
	// stack up is not counted.
	Started time.Time `json:"started"`
	// Finished is when the last scenario ended, before the stack came down.
	Finished time.Time `json:"finished"`
	// InvalidReasons says why an invalid run proves nothing, for example
	// "generator fell behind the asked rate by 12%".
	InvalidReasons []string `json:"invalid_reasons"`
	// Aborted is why the run was stopped early because the target was
	// clearly failing ("scenario: reason"); "" when it ran to its end.
	Aborted string `json:"aborted,omitempty"`
	// Interrupted says the run was cut short from outside (Ctrl-C).
	Interrupted bool `json:"interrupted,omitempty"`
	// Complete says every scenario ran to its end and every result was
	// written: false for an interrupted or aborted run, a run cut short by
	// a harness error, and a report over raw results that were truncated
	// or whose summary said it was incomplete.
	Complete bool `json:"complete"`
	// Warnings qualify the figures without changing the verdict, for
	// example "embedded Redis (miniredis): figures do not stand for real Redis".
	Warnings []string `json:"warnings"`
	// Stack is the shape of the stack the run measured.
	Stack loadharness.StackShape `json:"stack"`
	// Events are the timed actions (kill, add-instance, faults…), scaling
	// decisions and load steps of the run, in order.
	Events []loadharness.Event `json:"events"`
	// Gates are every gate judged, with what was measured and the margin.
	Gates []loadharness.GateResult `json:"gates"`
	// Scenarios are every scenario's figures, in the order they ran.
	Scenarios []ScenarioSummary `json:"scenarios"`
}

// Figures are the numbers a summary gives for a scenario and for each of
// its steps.
type Figures struct {
	// Requests counts the requests sent.
	Requests int `json:"requests"`
	// Failed counts requests that failed at the transport or HTTP level:
	// no response, or a status outside 2xx and 3xx. Failed checks are
	// counted apart, in checks_failed.
	Failed int `json:"failed"`
	// Dropped counts hits of an open model that fell due and were never
	// sent; they count against success_ratio, error_rate and availability.
	Dropped int `json:"dropped"`
	// Skipped counts, of dropped, the steps users skipped because an
	// earlier extraction found nothing (see docs/own-service.md).
	Skipped int `json:"skipped,omitempty"`
	// SuccessRatio is (requests - failed) / (requests + dropped), 0 with
	// neither.
	SuccessRatio float64 `json:"success_ratio"`
	// ThroughputRPS is requests per second from first_sent to last_ended.
	ThroughputRPS float64 `json:"throughput_rps"`
	// FirstSent is when the first request was sent; absent when none was.
	FirstSent time.Time `json:"first_sent,omitzero"`
	// LastEnded is when the last request ended (answered, failed or timed
	// out); absent when none was sent. From first_sent to last_ended is
	// the window the figures were measured over.
	LastEnded time.Time `json:"last_ended,omitzero"`
	// Latency is in milliseconds from when each request was due, so it
	// counts the wait of a request the generator sent late (corrected for
	// coordinated omission); what gates on p95 and the like judge.
	Latency aggregate.LatencyStats `json:"latency_ms"`
	// RawLatency is in milliseconds from when each request was sent: the
	// optimistic figure, for comparison.
	RawLatency aggregate.LatencyStats `json:"raw_latency_ms"`
	// SessionsChecked counts users whose responses spoke about their
	// session (docs/sessions.md).
	SessionsChecked int `json:"sessions_checked"`
	// SessionsLost counts users whose session or data set was lost.
	SessionsLost int `json:"sessions_lost"`
	// SessionsVerified counts users proven not to have lost their session.
	SessionsVerified int `json:"sessions_verified"`
	// SessionsUnverified counts users who captured a data set that no
	// response proved or disproved.
	SessionsUnverified int `json:"sessions_unverified"`
	// ChecksFailed counts failed checks of responses (expect, checks).
	ChecksFailed int `json:"checks_failed"`
	// BytesIn counts the bytes of response bodies received.
	BytesIn int `json:"bytes_in"`
	// BytesOut counts the bytes of request bodies sent.
	BytesOut int `json:"bytes_out"`
	// Codes counts responses by HTTP status code, "0" for requests that
	// got no response.
	Codes map[string]int `json:"codes"`
	// Errors counts failures by message; past 50 distinct messages the
	// rest are counted under "other".
	Errors map[string]int `json:"errors"`
}

// ScenarioSummary is one scenario's figures and its steps'.
type ScenarioSummary struct {
	// Name is the scenario's name in the suite.
	Name string `json:"name"`
	// AskedRPS is the rate the load model asked for, 0 for a closed model
	// (a number of users, no rate). The aggregate cannot know it: the
	// harness fills it in.
	AskedRPS float64 `json:"asked_rps"`
	// Figures are the main phase's: what gates judge by default.
	Figures
	// Steps are the main phase's figures of each step.
	Steps []StepSummary `json:"steps"`
	// Setup is the figures of the users' setup steps; absent when the
	// scenario had none.
	Setup *Figures `json:"setup,omitempty"`
	// Warmup is the figures of the warm-up, not judged by default; absent
	// when the scenario had none.
	Warmup *Figures `json:"warmup,omitempty"`
	// SetupFailed counts users whose setup had a failed request or check.
	SetupFailed int `json:"setup_failed"`
}

// StepSummary is one step's figures within a scenario.
type StepSummary struct {
	// Name is the step's name in the scenario.
	Name string `json:"name"`
	Figures
}

// BuildScenarioSummaries returns the figures of every scenario a has seen,
// in order of first sight, each with its steps.
func BuildScenarioSummaries(a *aggregate.Aggregate) []ScenarioSummary {
	var out []ScenarioSummary
	for _, name := range a.Scenarios() {
		sc := ScenarioSummary{
			Name:    name,
			Figures: figuresOf(a.Snapshot(loadharness.Scope{Scenario: name})),
			Steps:   []StepSummary{},
		}
		for _, p := range []loadharness.Phase{loadharness.PhaseSetup, loadharness.PhaseWarmup} {
			st := a.Snapshot(loadharness.Scope{Scenario: name, Phase: p})
			if st.Requests+st.Dropped == 0 {
				continue
			}
			f := figuresOf(st)
			if p == loadharness.PhaseSetup {
				sc.Setup = &f
			} else {
				sc.Warmup = &f
			}
		}
		if n, ok := a.Measure(loadharness.Metric{Name: loadharness.MetricSetupFailed, Kind: loadharness.KindCount},
			loadharness.Scope{Scenario: name}); ok {
			sc.SetupFailed = int(n)
		}
		for _, step := range a.Steps(name) {
			sc.Steps = append(sc.Steps, StepSummary{
				Name:    step,
				Figures: figuresOf(a.Snapshot(loadharness.Scope{Scenario: name, Step: step})),
			})
		}
		out = append(out, sc)
	}
	return out
}

func figuresOf(s aggregate.Stats) Figures {
	return Figures{
		Requests:           s.Requests,
		Failed:             s.Failed,
		Dropped:            s.Dropped,
		Skipped:            s.Skipped,
		SuccessRatio:       s.SuccessRatio,
		ThroughputRPS:      s.Throughput,
		FirstSent:          s.First,
		LastEnded:          s.Last,
		Latency:            s.Latency,
		RawLatency:         s.RawLatency,
		SessionsChecked:    s.SessionsChecked,
		SessionsLost:       s.SessionsLost,
		SessionsVerified:   s.SessionsVerified,
		SessionsUnverified: s.SessionsUnverified,
		ChecksFailed:       s.ChecksFailed,
		BytesIn:            s.BytesIn,
		BytesOut:           s.BytesOut,
		Codes:              s.Codes,
		Errors:             s.Errors,
	}
}

// Evidence is what the summary's verdict rests on, for loadharness.Judge.
func (s Summary) Evidence() loadharness.Evidence {
	return loadharness.Evidence{Gates: s.Gates, Invalid: s.InvalidReasons, Aborted: s.Aborted, Interrupted: s.Interrupted}
}
