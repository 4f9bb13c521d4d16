package reports

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"loadharness"
)

// reportView is what the HTML and Markdown reports show, worked out once
// so both say the same thing in the same order.
type reportView struct {
	Title string
	// Verdict is "PASS", "FAIL" or "INVALID"; Class its lower-case name.
	Verdict, Class string
	// Headline says in one sentence what the verdict means.
	Headline string
	Period   string
	// Failed lists the failed gates' displays, right under the verdict.
	Failed []string
	// Invalid, Warnings and Notes are what makes the run prove nothing,
	// qualify its figures, or less representative of production.
	Invalid, Warnings, Notes []string
	Gates                    []gateRow
	Scenarios                []scenarioRow
	Steps                    []stepRow
	Failures                 []failureRow
	Charts                   []ChartImage
	// ChartNote explains missing charts.
	ChartNote   string
	Events      []eventRow
	Stack       []keyValue
	Environment []keyValue
}

type gateRow struct {
	Scenario, Gate, Measured, Threshold, Margin, Result string
	Pass                                                bool
}

type scenarioRow struct {
	Name, Requests, Asked, Achieved, P50, P95, P99, Max, Errors, Sessions string
}

type stepRow struct {
	Scenario, Step, Requests, P50, P95, P99, Errors string
}

type failureRow struct {
	Scenario, Message, Count string
}

type eventRow struct {
	At, Since, Kind, Target, Detail string
}

type keyValue struct{ Key, Value string }

// maxFailureRows bounds the failure messages listed per scenario.
const maxFailureRows = 10

func buildView(in ReportInput) reportView {
	s := in.Summary
	v := reportView{
		Title:    "Load test sign-off: " + orDash(s.Suite),
		Verdict:  strings.ToUpper(s.Verdict.String()),
		Class:    s.Verdict.String(),
		Period:   period(s),
		Invalid:  s.InvalidReasons,
		Warnings: s.Warnings,
		Notes:    representativeness(in),
		Charts:   in.Charts,
	}
	v.Headline = headline(s)
	for _, g := range s.Gates {
		row := gateRowOf(g)
		v.Gates = append(v.Gates, row)
		if !g.Pass {
			v.Failed = append(v.Failed, scenarioLabel(g.Scenario)+": "+g.Display)
		}
	}
	for _, sc := range s.Scenarios {
		v.Scenarios = append(v.Scenarios, figuresRowOf(sc.Name, sc.AskedRPS, sc.Figures))
		// Setup and warm-up follow their scenario, apart from the main
		// phase that the gates judge.
		if sc.Setup != nil {
			v.Scenarios = append(v.Scenarios, figuresRowOf(sc.Name+" · setup", 0, *sc.Setup))
		}
		if sc.Warmup != nil {
			v.Scenarios = append(v.Scenarios, figuresRowOf(sc.Name+" · warm-up", 0, *sc.Warmup))
		}
		for _, st := range sc.Steps {
			v.Steps = append(v.Steps, stepRow{
				Scenario: sc.Name, Step: st.Name, Requests: strconv.Itoa(st.Requests),
				P50: latencyText(st.Latency.P50, st.Requests), P95: latencyText(st.Latency.P95, st.Requests),
				P99: latencyText(st.Latency.P99, st.Requests), Errors: errorsText(st.Failed, st.Requests),
			})
		}
		v.Failures = append(v.Failures, failureRows(sc)...)
	}
	switch {
	case in.Aggregate == nil && len(in.Target) == 0:
		v.ChartNote = "No charts: they are drawn from the raw results, which this report was not given."
	case in.Aggregate == nil:
		v.ChartNote = "Only the target's metrics are charted: the per-second charts need the raw results, which this report was not given."
	case len(in.Charts) == 0:
		v.ChartNote = "No charts: no request was recorded."
	}
	v.Events = eventRows(in)
	v.Stack = stackRows(s)
	v.Environment = environmentRows(in.Environment, s)
	return v
}

func headline(s Summary) string {
	n := len(s.Gates)
	switch s.Verdict {
	case loadharness.VerdictPass:
		if n == 0 {
			return "No gate was judged, so nothing was proved: add gates to the suite."
		}
		return fmt.Sprintf("Every gate held (%d of %d).", n, n)
	case loadharness.VerdictFail:
		if n == 0 {
			return "The run failed."
		}
		return fmt.Sprintf("%d of %d gates failed.", loadharness.FailedGates(s.Gates), n)
	case loadharness.VerdictInvalid:
		return "The run is invalid: it proves nothing either way, whatever the gates say."
	default:
		return ""
	}
}

func period(s Summary) string {
	if s.Started.IsZero() {
		return "not recorded"
	}
	text := s.Started.UTC().Format("2006-01-02 15:04:05 UTC")
	if !s.Finished.IsZero() && s.Finished.After(s.Started) {
		text += " to " + s.Finished.UTC().Format("15:04:05") + " (" + s.Finished.Sub(s.Started).Round(time.Second).String() + ")"
	}
	return text
}

func gateRowOf(g loadharness.GateResult) gateRow {
	kind, op := gateKind(g)
	measured, threshold := kind.FormatPair(g.Measured, g.Threshold)
	row := gateRow{
		Scenario:  scenarioLabel(g.Scenario),
		Gate:      g.Gate.String(),
		Measured:  measured,
		Threshold: strings.TrimSpace(op + " " + threshold),
		Margin:    kind.Format(g.Margin),
		Result:    "PASS",
		Pass:      g.Pass,
	}
	switch {
	case g.Missing:
		row.Measured, row.Margin, row.Result = "n/a", "-", "FAIL (not measured)"
	case !g.Pass:
		row.Result = "FAIL"
	}
	return row
}

// figuresRowOf is the row of one scenario's phase; askedRPS is 0 for a
// closed model and for setup and warm-up rows.
func figuresRowOf(name string, askedRPS float64, sc Figures) scenarioRow {
	asked := "closed model"
	if askedRPS > 0 {
		asked = loadharness.KindRate.Format(askedRPS)
	}
	sessions := "not checked"
	if sc.SessionsChecked > 0 {
		sessions = fmt.Sprintf("%d of %d lost", sc.SessionsLost, sc.SessionsChecked)
	}
	return scenarioRow{
		Name:     name,
		Requests: strconv.Itoa(sc.Requests),
		Asked:    asked,
		Achieved: loadharness.KindRate.Format(sc.ThroughputRPS),
		P50:      latencyText(sc.Latency.P50, sc.Requests),
		P95:      latencyText(sc.Latency.P95, sc.Requests),
		P99:      latencyText(sc.Latency.P99, sc.Requests),
		Max:      latencyText(sc.Latency.Max, sc.Requests),
		Errors:   errorsText(sc.Failed+sc.Dropped, sc.Requests+sc.Dropped),
		Sessions: sessions,
	}
}

func latencyText(ms float64, requests int) string {
	if requests == 0 {
		return "-"
	}
	return loadharness.KindLatency.Format(ms)
}

func errorsText(failed, requests int) string {
	if requests == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", failed, loadharness.KindRatio.Format(float64(failed)/float64(requests)))
}

// failureRows lists a scenario's failures by message, most frequent first,
// then failed statuses that carried no message.
func failureRows(sc ScenarioSummary) []failureRow {
	type count struct {
		msg string
		n   int
	}
	var counts []count
	withMessage := 0
	for msg, n := range sc.Errors {
		counts = append(counts, count{msg, n})
		withMessage += n
	}
	sort.Slice(counts, func(i, j int) bool {
		if counts[i].n != counts[j].n {
			return counts[i].n > counts[j].n
		}
		return counts[i].msg < counts[j].msg
	})
	var rows []failureRow
	for i, c := range counts {
		if i == maxFailureRows {
			rest := 0
			for _, c := range counts[i:] {
				rest += c.n
			}
			rows = append(rows, failureRow{Scenario: sc.Name, Message: fmt.Sprintf("(%d other messages)", len(counts)-i), Count: strconv.Itoa(rest)})
			break
		}
		rows = append(rows, failureRow{Scenario: sc.Name, Message: c.msg, Count: strconv.Itoa(c.n)})
	}
	if rest := sc.Failed - withMessage; rest > 0 {
		rows = append(rows, failureRow{Scenario: sc.Name, Message: "(failed status without a message)", Count: strconv.Itoa(rest)})
	}
	return rows
}

func eventRows(in ReportInput) []eventRow {
	var ax *TimeAxis
	if in.Aggregate != nil {
		a := NewTimeAxis(in.Aggregate)
		ax = &a
	}
	rows := make([]eventRow, 0, len(in.Summary.Events))
	for _, ev := range in.Summary.Events {
		row := eventRow{At: ev.At.UTC().Format("15:04:05.000"), Kind: ev.Kind, Target: ev.Target, Detail: ev.Detail}
		if ax != nil {
			row.Since = "+" + strconv.FormatFloat(ax.At(ev.At), 'f', 1, 64) + axisUnit(*ax)
		}
		rows = append(rows, row)
	}
	return rows
}

func axisUnit(ax TimeAxis) string {
	if ax.Unit == 60 {
		return " min"
	}
	return " s"
}

func stackRows(s Summary) []keyValue {
	st := s.Stack
	rows := []keyValue{
		{"Provider", orNotRecorded(s.Provider)},
		{"Shape", fmt.Sprintf("%d instance(s) × %d worker(s) × %d thread(s)", st.Instances, st.Workers, st.Threads)},
		{"Sessions stored in", orNotRecorded(st.SessionStore)},
		{"Data sets stored in", orNotRecorded(st.DatasetStore)},
	}
	if st.Queue > 0 {
		rows = append(rows, keyValue{"Queue per worker", strconv.Itoa(st.Queue)})
	}
	if st.MapCost > 0 {
		rows = append(rows, keyValue{"Map cost", strconv.Itoa(st.MapCost)})
	}
	if st.RedisPersistence != "" {
		rows = append(rows, keyValue{"Redis persistence", st.RedisPersistence})
	}
	if st.RequestTimeout > 0 {
		rows = append(rows, keyValue{"Request timeout", st.RequestTimeout.String()})
	}
	return rows
}

func environmentRows(env Environment, s Summary) []keyValue {
	osArch := strings.Trim(env.OS+"/"+env.Arch, "/")
	cpus := ""
	if env.CPUs > 0 {
		cpus = strconv.Itoa(env.CPUs)
	}
	rows := []keyValue{
		{"Commit", orNotRecorded(env.Commit)},
		{"Host", orNotRecorded(env.Host)},
		{"OS/arch", orNotRecorded(osArch)},
		{"CPUs", orNotRecorded(cpus)},
		{"Go", orNotRecorded(env.GoVersion)},
		{"Provider", orNotRecorded(firstNonEmpty(env.Provider, s.Provider))},
		{"Redis", orNotRecorded(env.RedisKind)},
	}
	names := make([]string, 0, len(env.Versions))
	for name := range env.Versions {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		rows = append(rows, keyValue{"Version of " + name, env.Versions[name]})
	}
	if !env.Generated.IsZero() {
		rows = append(rows, keyValue{"Report generated", env.Generated.UTC().Format("2006-01-02 15:04:05 UTC")})
	}
	return rows
}

// representativeness says plainly what makes the figures stand less for
// production than they seem, beyond the harness's own warnings.
func representativeness(in ReportInput) []string {
	s := in.Summary
	var notes []string
	if len(s.Gates) == 0 {
		notes = append(notes, "No gate was judged: the verdict says nothing about the success criteria.")
	}
	missing := 0
	for _, g := range s.Gates {
		if g.Missing {
			missing++
		}
	}
	if missing > 0 {
		notes = append(notes, fmt.Sprintf("%d gate(s) could not be measured and count as failed.", missing))
	}
	provider := firstNonEmpty(in.Environment.Provider, s.Provider)
	if provider == "process" || provider == "docker" {
		cpus := "the same CPUs"
		if in.Environment.CPUs > 0 {
			cpus = fmt.Sprintf("%d CPU(s)", in.Environment.CPUs)
		}
		notes = append(notes, fmt.Sprintf("The stack ran on the load generator's own machine (provider %s): target, Redis and "+
			"generator shared %s, so capacity figures are lower than separate machines would show.", provider, cpus))
	}
	if s.Stack.SessionStore == loadharness.SessionStoreMemory {
		notes = append(notes, "Sessions were kept in worker memory (the \"before\" shape): sessions are expected to be lost across workers and instances.")
	}
	return notes
}

func orNotRecorded(s string) string {
	if s == "" {
		return notRecorded
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
