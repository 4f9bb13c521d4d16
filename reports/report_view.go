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
	// Evidence says what the verdict rests on: the phase judged and how
	// many requests, users and sessions it saw, and what was left out.
	Evidence []string
	// Service names the service under test and the suite, byte for byte.
	Service []keyValue
	// Failed lists the failed gates' displays, right under the verdict.
	Failed []string
	// Invalid, Warnings and Notes are what makes the run prove nothing,
	// qualify its figures, or less representative of production.
	Invalid, Warnings, Notes []string
	Gates                    []gateRow
	Scenarios                []scenarioRow
	Steps                    []stepRow
	// Statuses are each step's status codes and errors.
	Statuses []statusRow
	Failures []failureRow
	// Baseline is the comparison with a baseline run; nil without one.
	Baseline *baselineView
	Charts   []ChartImage
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
	Scenario, Step, Requests, P50, P95, P99, Max, Errors, BytesIn, BytesOut string
}

// statusRow is one step's responses by status code, and its errors.
type statusRow struct {
	Scenario, Step string
	Codes          []countText
	Errors         []countText
}

// countText is a status code or an error text and how often it came.
type countText struct{ Text, Count string }

// baselineView is a comparison with a baseline run, as `loadtest compare`
// prints it.
type baselineView struct {
	Baseline, Result, Method string
	Regression               bool
	Notes                    []string
	Metrics                  []baselineMetric
	Gates                    []baselineGate
}

type baselineMetric struct {
	Scenario, Metric, Baseline, Current, Change, Interval, Verdict string
	Regression                                                     bool
}

type baselineGate struct {
	Scenario, Gate, Baseline, Current, Status string
	Regression                                bool
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
	v.Evidence = evidence(s)
	v.Service = serviceRows(in.Environment, s)
	if in.Baseline != nil {
		v.Baseline = baselineViewOf(*in.Baseline)
	}
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
				P99: latencyText(st.Latency.P99, st.Requests), Max: latencyText(st.Latency.Max, st.Requests),
				Errors:  errorsText(st.Failed+st.Dropped, st.Requests+st.Dropped),
				BytesIn: bytesText(st.BytesIn), BytesOut: bytesText(st.BytesOut),
			})
			if row, ok := statusRowOf(sc.Name, st); ok {
				v.Statuses = append(v.Statuses, row)
			}
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

// evidence says what the verdict rests on, in a few lines: gates judge the
// main phase only, so its counts come first; setup and warm-up are said to
// be left out, with their own counts.
func evidence(s Summary) []string {
	var requests, dropped, checked, lost, setup, warmup int
	for _, sc := range s.Scenarios {
		requests += sc.Requests
		dropped += sc.Dropped
		checked += sc.SessionsChecked
		lost += sc.SessionsLost
		if sc.Setup != nil {
			setup += sc.Setup.Requests
		}
		if sc.Warmup != nil {
			warmup += sc.Warmup.Requests
		}
	}
	missing := 0
	for _, g := range s.Gates {
		if g.Missing {
			missing++
		}
	}
	lines := []string{
		fmt.Sprintf("%d gates judged on the main phase of %d scenario(s): %d requests measured, %d hits dropped (due and never sent, counted as failures).",
			len(s.Gates), len(s.Scenarios), requests, dropped),
	}
	if missing > 0 {
		lines = append(lines, fmt.Sprintf("%d gate(s) had nothing to measure, and failed for it.", missing))
	}
	if checked > 0 {
		lines = append(lines, fmt.Sprintf("Sessions: %d users' sessions checked, %d lost.", checked, lost))
	} else {
		lines = append(lines, "Sessions: no response said whose session it served, so no session was checked.")
	}
	if setup+warmup > 0 {
		lines = append(lines, fmt.Sprintf("Not judged: %d setup requests and %d warm-up requests, shown apart below and shaded on the charts.", setup, warmup))
	}
	if !s.Complete {
		lines = append(lines, "The run is not complete: it was cut short, or some results were not written.")
	}
	return lines
}

// serviceRows name what was tested: the service's version and the suite.
func serviceRows(env Environment, s Summary) []keyValue {
	return []keyValue{
		{"Service version", firstNonEmpty(env.ServiceVersion, "not recorded (loadtest run --service-version)")},
		{"Suite", orDash(s.Suite)},
		{"Suite digest", orNotRecorded(env.SuiteDigest)},
	}
}

// statusRowOf lists a step's status codes, in rising order, and its error
// texts, most frequent first; ok is false when the step saw neither.
func statusRowOf(scenario string, st StepSummary) (statusRow, bool) {
	row := statusRow{Scenario: scenario, Step: st.Name}
	codes := make([]string, 0, len(st.Codes))
	for code := range st.Codes {
		codes = append(codes, code)
	}
	sort.Slice(codes, func(i, j int) bool {
		a, errA := strconv.Atoi(codes[i])
		b, errB := strconv.Atoi(codes[j])
		if errA != nil || errB != nil {
			return codes[i] < codes[j]
		}
		return a < b
	})
	for _, code := range codes {
		text := code
		if code == "0" {
			text = "no response"
		}
		row.Codes = append(row.Codes, countText{text, strconv.Itoa(st.Codes[code])})
	}
	texts := make([]string, 0, len(st.Errors))
	for msg := range st.Errors {
		texts = append(texts, msg)
	}
	sort.Slice(texts, func(i, j int) bool {
		if a, b := st.Errors[texts[i]], st.Errors[texts[j]]; a != b {
			return a > b
		}
		return texts[i] < texts[j]
	})
	for i, msg := range texts {
		if i == maxFailureRows {
			row.Errors = append(row.Errors, countText{fmt.Sprintf("(%d more texts)", len(texts)-i), ""})
			break
		}
		row.Errors = append(row.Errors, countText{msg, strconv.Itoa(st.Errors[msg])})
	}
	return row, len(row.Codes)+len(row.Errors) > 0
}

// bytesText writes a byte count in binary units.
func bytesText(n int) string {
	const unit = 1024
	if n < unit {
		return strconv.Itoa(n) + " B"
	}
	v, suffix := float64(n)/unit, "KiB"
	for _, next := range []string{"MiB", "GiB", "TiB"} {
		if v < unit {
			break
		}
		v, suffix = v/unit, next
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + suffix
}

// baselineViewOf is c as the report shows it: every figure with its change
// and interval, every gate with its status.
func baselineViewOf(c Comparison) *baselineView {
	v := &baselineView{Baseline: c.Baseline, Result: comparisonResult(c), Method: c.Method, Regression: c.Regressions > 0, Notes: c.Notes}
	for _, sc := range c.Scenarios {
		for _, m := range sc.Metrics {
			v.Metrics = append(v.Metrics, baselineMetric{
				Scenario: sc.Name, Metric: m.Metric,
				Baseline: metricValue(m, m.Baseline), Current: metricValue(m, m.Current),
				Change: changeText(m, m.Change), Interval: intervalText(m), Verdict: verdictText(m), Regression: m.Regression,
			})
		}
		for _, g := range sc.Gates {
			v.Gates = append(v.Gates, baselineGate{
				Scenario: sc.Name, Gate: g.Gate.String(),
				Baseline: gateOutcome(g.Baseline), Current: gateOutcome(g.Current), Status: gateStatusText(g), Regression: g.Regression,
			})
		}
	}
	return v
}
