package promql

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"time"

	"github.com/prometheus/client_golang/api"
	v1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Bounds of a range query over a window.
const (
	// MaxSteps is how many steps a window is cut into at most, so that a
	// long soak is judged at 201 instants, not at one a second.
	MaxSteps = 200
	// MinStep is the finest step: finer than Prometheus's usual scrape
	// interval, a step would only repeat the same samples.
	MinStep = time.Second
	// DefaultQueryTimeout bounds one query, besides the caller's context.
	DefaultQueryTimeout = 30 * time.Second
	// DefaultScrapeWait bounds AwaitScrapes when Prometheus does not say
	// its scrape intervals; Prometheus's own default interval is 1m.
	DefaultScrapeWait = 2 * time.Minute
	// pollEvery is how often AwaitScrapes asks for the targets.
	pollEvery = 200 * time.Millisecond
)

// Client reads one Prometheus through its HTTP API (client_golang's
// api/prometheus/v1).
type Client struct {
	url string
	api v1.API
}

// New returns a client of the Prometheus whose HTTP API is at rawURL, for
// example "http://127.0.0.1:9090". Nothing is sent until a query.
func New(rawURL string) (*Client, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus url %q: want http://HOST:PORT", rawURL)
	}
	c, err := api.NewClient(api.Config{Address: rawURL})
	if err != nil {
		return nil, fmt.Errorf("prometheus url %q: %w", rawURL, err)
	}
	return &Client{url: rawURL, api: v1.NewAPI(c)}, nil
}

// URL is the address the client reads.
func (c *Client) URL() string { return c.url }

// Series is one series a range query returned: its labels as Prometheus
// writes them ({instance="a", job="b"}) and its value at each step.
type Series struct {
	Labels string
	// Name is the metric's name, where the query kept it (Samples does).
	Name   string
	Points []Point
}

// Point is a series' value at one step.
type Point struct {
	At    time.Time
	Value float64
}

// Values returns the values of every point of every series, for
// loadharness.Op.Worst.
func Values(series []Series) []float64 {
	var out []float64
	for _, s := range series {
		for _, p := range s.Points {
			out = append(out, p.Value)
		}
	}
	return out
}

// Steps chooses the instants a window [start, end] is judged at: from
// "from" to end every step, both ends included, inside the window. The
// step is at least MinStep unless the window is shorter, and the window is
// cut into at most MaxSteps steps, evenly, so that the last instant is the
// window's end rather than up to a step before it. A window of no length
// is judged at its end only.
func Steps(start, end time.Time) (from time.Time, step time.Duration) {
	end = end.Truncate(time.Millisecond) // Prometheus keeps milliseconds
	window := end.Sub(start)
	if window < time.Millisecond {
		return end, MinStep
	}
	base := max(MinStep, window/MaxSteps)
	n := time.Duration((window + base - 1) / base) // how many steps of at most base
	step = (window / n).Truncate(time.Millisecond)
	if step <= 0 {
		return end, MinStep
	}
	return end.Add(-n * step), step
}

// Range evaluates expr at every instant Steps chooses in [start, end] and
// returns every series it gave, and Prometheus's warnings. An expression
// that matched nothing gives no series and no error: the caller decides
// what no evidence means.
func (c *Client) Range(ctx context.Context, expr string, start, end time.Time) ([]Series, []string, error) {
	from, step := Steps(start, end)
	ctx, cancel := context.WithTimeout(ctx, DefaultQueryTimeout)
	defer cancel()
	value, warnings, err := c.queryRange(ctx, expr, v1.Range{Start: from, End: end.Truncate(time.Millisecond), Step: step})
	if err != nil {
		return nil, warnings, fmt.Errorf("query %s: %w", c.url, err)
	}
	matrix, ok := value.(model.Matrix)
	if !ok {
		return nil, warnings, fmt.Errorf("query %s: a range query gave a %s, not a matrix", c.url, value.Type())
	}
	out := make([]Series, 0, len(matrix))
	for _, s := range matrix {
		// Only float points are kept: a native histogram's point has no one
		// value to compare with a threshold, so a series of them only is
		// no evidence.
		series := Series{Labels: s.Metric.String(), Points: make([]Point, 0, len(s.Values))}
		for _, p := range s.Values {
			series.Points = append(series.Points, Point{At: p.Timestamp.Time(), Value: float64(p.Value)})
		}
		out = append(out, series)
	}
	return out, warnings, nil
}

func (c *Client) queryRange(ctx context.Context, expr string, r v1.Range) (model.Value, []string, error) {
	value, warnings, _, err := c.api.QueryRange(ctx, expr, r, v1.WithTimeout(DefaultQueryTimeout))
	return value, warnings, err
}

// AwaitScrapes waits until Prometheus has scraped each of its active
// targets at or after t, so that a range query ending at t finds the
// samples of its last instant: a scrape after t has stored everything up
// to t. It waits at most two of the longest scrape interval past t (or
// DefaultScrapeWait past t when Prometheus does not say its intervals),
// and never past ctx. It returns the targets still not scraped since t,
// whose last points may then be missing; a Prometheus with no active
// target (fed by remote write only) has nothing to wait for.
func (c *Client) AwaitScrapes(ctx context.Context, t time.Time) (late []string, err error) {
	for {
		pending, longest, err := c.pendingSince(ctx, t)
		switch {
		case err != nil && ctx.Err() != nil && late != nil:
			return late, nil // the caller stopped waiting during a look
		case err != nil:
			return nil, fmt.Errorf("targets of %s: %w", c.url, err)
		}
		late = pending
		if len(pending) == 0 {
			return nil, nil
		}
		limit := DefaultScrapeWait
		if longest > 0 {
			limit = 2 * longest
		}
		wait := min(pollEvery, time.Until(t.Add(limit)))
		if wait <= 0 {
			return pending, nil
		}
		select {
		case <-ctx.Done():
			return pending, nil
		case <-time.After(wait):
		}
	}
}

// pendingSince lists the active targets last scraped before t, and the
// longest scrape interval of all active targets (0 when none says).
func (c *Client) pendingSince(ctx context.Context, t time.Time) ([]string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultQueryTimeout)
	defer cancel()
	res, err := c.api.Targets(ctx)
	if err != nil {
		return nil, 0, err
	}
	var pending []string
	var longest time.Duration
	for _, tg := range res.Active {
		// Prometheus puts each target's interval among its discovered
		// labels; client_golang's struct has no field of its own for it.
		if d, err := model.ParseDuration(tg.DiscoveredLabels[model.ScrapeIntervalLabel]); err == nil {
			longest = max(longest, time.Duration(d))
		}
		if tg.LastScrape.Before(t) {
			pending = append(pending, tg.ScrapeURL)
		}
	}
	sort.Strings(pending)
	return pending, longest, nil
}

// Samples returns the raw samples of every series selector matches with a
// time in (from, to]: an instant query of the range vector selector[to-from]
// at to, which Prometheus answers with the samples as scraped, neither
// interpolated nor extrapolated as rate() and increase() are. It is how
// counters are read exactly, reset by reset.
func (c *Client) Samples(ctx context.Context, selector string, from, to time.Time) ([]Series, error) {
	from, to = from.Truncate(time.Millisecond), to.Truncate(time.Millisecond)
	span := to.Sub(from)
	if span < time.Millisecond {
		return nil, fmt.Errorf("samples of %s: an empty window (%s to %s)", selector, from, to)
	}
	expr := fmt.Sprintf("%s[%dms]", selector, span.Milliseconds())
	ctx, cancel := context.WithTimeout(ctx, DefaultQueryTimeout)
	defer cancel()
	value, _, _, err := c.api.Query(ctx, expr, to, v1.WithTimeout(DefaultQueryTimeout))
	if err != nil {
		return nil, fmt.Errorf("query %s: %s: %w", c.url, expr, err)
	}
	matrix, ok := value.(model.Matrix)
	if !ok {
		return nil, fmt.Errorf("query %s: %s gave a %s, not a matrix", c.url, expr, value.Type())
	}
	out := make([]Series, 0, len(matrix))
	for _, s := range matrix {
		series := Series{Labels: s.Metric.String(), Name: string(s.Metric[model.MetricNameLabel]), Points: make([]Point, 0, len(s.Values))}
		for _, p := range s.Values {
			series.Points = append(series.Points, Point{At: p.Timestamp.Time(), Value: float64(p.Value)})
		}
		out = append(out, series)
	}
	return out, nil
}

// Instant evaluates expr at one instant and returns its values: one per
// series of a vector, or a scalar's. An expression that matched nothing
// gives none and no error.
func (c *Client) Instant(ctx context.Context, expr string, at time.Time) ([]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, DefaultQueryTimeout)
	defer cancel()
	value, _, _, err := c.api.Query(ctx, expr, at, v1.WithTimeout(DefaultQueryTimeout))
	if err != nil {
		return nil, fmt.Errorf("query %s: %w", c.url, err)
	}
	switch v := value.(type) {
	case model.Vector:
		out := make([]float64, 0, len(v))
		for _, s := range v {
			out = append(out, float64(s.Value))
		}
		return out, nil
	case *model.Scalar:
		return []float64{float64(v.Value)}, nil
	default:
		return nil, fmt.Errorf("query %s: %s gave a %s, not a vector or a scalar", c.url, expr, value.Type())
	}
}
