package harness

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"loadharness/harness/stack"
)

// TargetMetrics is one reading of the target's Prometheus counters, summed
// over every instance and every worker process the scraper reached.
type TargetMetrics struct {
	// At is when the reading started.
	At time.Time
	// Values maps a metric name to its value summed over label sets,
	// instances and workers (counters and gauges alike).
	Values map[string]float64
	// Series holds each series' own value, for increases taken per series
	// (counterIncrease).
	Series map[seriesKey]float64
	// Workers is how many distinct instance/worker pairs answered.
	Workers int
	// Resets counts, by metric name, the counters seen lower than before
	// (a worker restarted); only increases (counterIncrease) set it. What
	// a counter counted between its last reading and its reset was never
	// seen, so its increase is then a lower bound.
	Resets map[string]int
	// Missed lists endpoints that could not be scraped.
	Missed []string
}

// scraper reads /metrics from every instance. Each instance has W worker
// processes behind one SO_REUSEPORT port and the kernel picks the worker per
// connection, so the scraper opens fresh connections until it has heard from
// `workers` distinct workers (named by the X-Worker header) or spent its
// attempts; the gate on serialization errors needs every worker's counter.
type scraper struct {
	client  *http.Client
	workers int
}

func newScraper(workers int) *scraper {
	return &scraper{
		client: &http.Client{
			Timeout:   2 * time.Second,
			Transport: &http.Transport{DisableKeepAlives: true},
		},
		workers: max(workers, 1),
	}
}

// Scrape reads every URL concurrently and sums what it found.
func (s *scraper) Scrape(ctx context.Context, urls []string) TargetMetrics {
	total := TargetMetrics{At: time.Now(), Values: map[string]float64{}, Series: map[seriesKey]float64{}}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, u := range urls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			perWorker, err := s.scrapeInstance(ctx, u)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				total.Missed = append(total.Missed, fmt.Sprintf("%s: %v", u, err))
			}
			for worker, series := range perWorker {
				total.Workers++
				for _, sv := range series {
					total.Values[sv.name] += sv.value
					total.Series[seriesKey{endpoint: u, worker: worker, name: sv.name, labels: sv.labels, counter: sv.counter}] += sv.value
				}
			}
		}()
	}
	wg.Wait()
	return total
}

func (s *scraper) scrapeInstance(ctx context.Context, url string) (map[string][]seriesValue, error) {
	perWorker := map[string][]seriesValue{}
	var lastErr error
	for attempt := 0; attempt < 8*s.workers && len(perWorker) < s.workers; attempt++ {
		worker, values, err := s.scrapeOnce(ctx, url)
		if err != nil {
			lastErr = err
			if ctx.Err() != nil {
				break
			}
			continue
		}
		perWorker[worker] = values
	}
	if len(perWorker) == 0 {
		return nil, lastErr
	}
	return perWorker, nil
}

func (s *scraper) scrapeOnce(ctx context.Context, url string) (string, []seriesValue, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("status %s", resp.Status)
	}
	values, err := parseMetrics(resp)
	if err != nil {
		return "", nil, err
	}
	return resp.Header.Get(stack.WorkerHeader), values, nil
}

// seriesValue is one sample of a scrape.
type seriesValue struct {
	name, labels string
	counter      bool
	value        float64
}

// parseMetrics reads every sample of each metric family, one per label set;
// histograms and summaries count their observations, as counters.
func parseMetrics(resp *http.Response) ([]seriesValue, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	var out []seriesValue
	for name, fam := range families {
		counter := fam.GetType() != dto.MetricType_GAUGE
		for _, m := range fam.GetMetric() {
			out = append(out, seriesValue{name: name, labels: labelText(m), counter: counter, value: sampleValue(fam.GetType(), m)})
		}
	}
	return out, nil
}

// labelText writes a sample's labels as name="value" pairs in the order
// the parser gives (sorted by name).
func labelText(m *dto.Metric) string {
	var b strings.Builder
	for i, l := range m.GetLabel() {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.GetName())
		b.WriteString("=")
		b.WriteString(strconv.Quote(l.GetValue()))
	}
	return b.String()
}

func sampleValue(t dto.MetricType, m *dto.Metric) float64 {
	switch t {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	case dto.MetricType_UNTYPED:
		return m.GetUntyped().GetValue()
	case dto.MetricType_HISTOGRAM:
		return float64(m.GetHistogram().GetSampleCount())
	case dto.MetricType_SUMMARY:
		return float64(m.GetSummary().GetSampleCount())
	}
	return 0
}

// formatWorkers is for log lines.
func formatWorkers(n int) string { return strconv.Itoa(n) + " worker(s)" }
