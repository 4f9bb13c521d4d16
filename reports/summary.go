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
	// SchemaVersion is the version of this format (SummarySchemaVersion),
	// so a script can refuse a summary it does not understand. Summaries
	// written before it existed lack it and are version 1.
	SchemaVersion int                 `json:"schema_version"`
	Verdict       loadharness.Verdict `json:"verdict"`
	Suite         string              `json:"suite"`
	Provider      string              `json:"provider"`
	Started       time.Time           `json:"started"`
	Finished      time.Time           `json:"finished"`
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
	Warnings  []string                 `json:"warnings"`
	Stack     loadharness.StackShape   `json:"stack"`
	Events    []loadharness.Event      `json:"events"`
	Gates     []loadharness.GateResult `json:"gates"`
	Scenarios []ScenarioSummary        `json:"scenarios"`
}

// Figures are the numbers a summary gives for a scenario and for each of
// its steps.
type Figures struct {
	Requests int `json:"requests"`
	Failed   int `json:"failed"`
	// Dropped counts hits of an open model that fell due and were never
	// sent; they count against success_ratio, error_rate and availability.
	Dropped int `json:"dropped"`
	// Skipped counts, of Dropped, the steps users skipped because an
	// earlier extraction found nothing (see docs/own-service.md).
	Skipped       int     `json:"skipped,omitempty"`
	SuccessRatio  float64 `json:"success_ratio"`
	ThroughputRPS float64 `json:"throughput_rps"`
	// Latency is corrected for coordinated omission; RawLatency is not.
	Latency         aggregate.LatencyStats `json:"latency_ms"`
	RawLatency      aggregate.LatencyStats `json:"raw_latency_ms"`
	SessionsChecked int                    `json:"sessions_checked"`
	SessionsLost    int                    `json:"sessions_lost"`
	// SessionsVerified users were proven and not lost; SessionsUnverified
	// captured a data set that no response proved or disproved.
	SessionsVerified   int            `json:"sessions_verified"`
	SessionsUnverified int            `json:"sessions_unverified"`
	ChecksFailed       int            `json:"checks_failed"`
	Codes              map[string]int `json:"codes"`
	Errors             map[string]int `json:"errors"`
}

// ScenarioSummary is one scenario's figures and its steps'.
type ScenarioSummary struct {
	Name string `json:"name"`
	// AskedRPS is the rate the load model asked for, 0 for a closed model
	// (a number of users, no rate). The aggregate cannot know it: the
	// harness fills it in.
	AskedRPS float64 `json:"asked_rps"`
	// Figures are the main phase's: what gates judge by default.
	Figures
	Steps []StepSummary `json:"steps"`
	// Setup and Warmup are the figures of those phases, nil when the
	// scenario had none; SetupFailed counts users whose setup had a failed
	// request or check.
	Setup       *Figures `json:"setup,omitempty"`
	Warmup      *Figures `json:"warmup,omitempty"`
	SetupFailed int      `json:"setup_failed"`
}

// StepSummary is one step's figures within a scenario.
type StepSummary struct {
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
		Latency:            s.Latency,
		RawLatency:         s.RawLatency,
		SessionsChecked:    s.SessionsChecked,
		SessionsLost:       s.SessionsLost,
		SessionsVerified:   s.SessionsVerified,
		SessionsUnverified: s.SessionsUnverified,
		ChecksFailed:       s.ChecksFailed,
		Codes:              s.Codes,
		Errors:             s.Errors,
	}
}

// Evidence is what the summary's verdict rests on, for loadharness.Judge.
func (s Summary) Evidence() loadharness.Evidence {
	return loadharness.Evidence{Gates: s.Gates, Invalid: s.InvalidReasons, Aborted: s.Aborted, Interrupted: s.Interrupted}
}
