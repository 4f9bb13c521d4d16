package harness

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"loadharness"
	"loadharness/harness/promql"
	"loadharness/harness/stack"
	"loadharness/scenarios/suite"
)

// DefaultTargetJob is the Prometheus job whose series are the target's: the
// stack's own Prometheus and deploy/kubernetes scrape the workers as job
// "target".
const DefaultTargetJob = "target"

// targetLookback is how far before a scenario its counters' last samples
// are looked for: many scrape intervals, so a slow scrape still leaves one.
const targetLookback = 2 * time.Minute

// WithTargetJob names the Prometheus job whose series are the target's,
// for the counters gates read (serialization_errors, target:NAME) when the
// run has a Prometheus; DefaultTargetJob otherwise.
func WithTargetJob(job string) Option {
	return func(c *runConfig) { c.targetJob = job }
}

// targetSpan is when a scenario's target counters are read: from just
// before its first request to once every worker was scraped after its
// last.
type targetSpan struct{ from, to time.Time }

// sampleQuerier is what reading the target's counters needs of a
// Prometheus: raw samples (promql.Client.Samples).
type sampleQuerier interface {
	Samples(ctx context.Context, selector string, from, to time.Time) ([]promql.Series, error)
}

var _ sampleQuerier = (*promql.Client)(nil)

// targetCounterNames are the target metrics the suite's gates read.
func targetCounterNames(s *suite.Suite) []string {
	var names []string
	for _, sc := range s.Scenarios {
		for _, g := range sc.Gates {
			m := g.Gate.Metric
			name := m.TargetName()
			if m.Name == loadharness.MetricSerializationErrors {
				name = serializationErrorsMetric
			}
			if name != "" && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
	}
	sort.Strings(names)
	return names
}

// isCounterName says whether a series is a counter by Prometheus's naming
// conventions: Prometheus keeps no types with its samples, and a gauge's
// change is its last value less its first, not the sum of its rises.
func isCounterName(name string) bool {
	for _, suffix := range []string{"_total", "_count", "_sum", "_bucket"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// targetFromPrometheus reads, for each scenario, how much each named
// counter of the job rose during its span, from Prometheus's raw samples,
// series by series with counterIncrease's rules (a reset counts from zero,
// a series that stops keeps what it rose, one born inside the span counts
// from zero): the same reading the harness's own scrapes give, for every
// worker Prometheus scrapes, which those scrapes cannot reach behind a
// real balancer. A scenario whose query failed is left out, with a
// warning, so that its gates fall back to the harness's own scrapes or are
// not measured.
func targetFromPrometheus(ctx context.Context, q sampleQuerier, job string, names []string,
	spans map[string]targetSpan) (targetMeasurer, []string) {
	out := targetMeasurer{}
	var warnings []string
	if len(names) == 0 {
		return out, nil
	}
	selector := fmt.Sprintf(`{__name__=~%q,job=%q}`, strings.Join(names, "|"), job)
	for scenario, span := range spans {
		series, err := q.Samples(ctx, selector, span.from.Add(-targetLookback), span.to)
		if err != nil {
			warnings = append(warnings, fmt.Sprintf("%s: the target's counters from Prometheus: %v", scenario, err))
			continue
		}
		if len(series) == 0 {
			warnings = append(warnings, fmt.Sprintf("%s: Prometheus has no series %s: is the target's scrape job named %q?", scenario, selector, job))
			continue
		}
		out[scenario] = foldSamples(series, span)
	}
	return out, warnings
}

// foldSamples applies a span's samples to a counterIncrease: each
// series's last sample at or before the span's start is the base, every
// later one up to the span's end a reading of its own, in time order.
func foldSamples(series []promql.Series, span targetSpan) TargetMetrics {
	base := TargetMetrics{At: span.from, Values: map[string]float64{}, Series: map[seriesKey]float64{}}
	type reading struct {
		at    time.Time
		key   seriesKey
		value float64
	}
	var later []reading
	for _, s := range series {
		key := seriesKey{name: s.Name, labels: s.Labels, counter: isCounterName(s.Name)}
		for _, p := range s.Points {
			if p.At.After(span.from) {
				later = append(later, reading{p.At, key, p.Value})
			} else {
				base.Series[key] = p.Value // points come in time order: the last wins
			}
		}
	}
	sort.SliceStable(later, func(i, j int) bool { return later[i].at.Before(later[j].at) })
	inc := newCounterIncrease(base)
	for _, r := range later {
		inc.observe(TargetMetrics{At: r.at, Series: map[seriesKey]float64{r.key: r.value}})
	}
	tm := inc.result()
	tm.Workers = len(series) // the measurer asks for at least one
	return tm
}

func (c runConfig) targetJobOrDefault() string {
	if c.targetJob == "" {
		return DefaultTargetJob
	}
	return c.targetJob
}

// prometheusClient is the run's Prometheus: url (WithPrometheus), else the
// stack's own (stack.Prometheuser); nil with the reason when there is none.
func prometheusClient(url string, st stack.Stack) (*promql.Client, string) {
	if url == "" {
		if p, ok := st.(stack.Prometheuser); ok {
			url = p.PrometheusURL()
		}
	}
	if url == "" {
		return nil, "no Prometheus to ask (give --prometheus-url, or prometheus: true in the suite's stack)"
	}
	c, err := promql.New(url)
	if err != nil {
		return nil, err.Error()
	}
	return c, ""
}
