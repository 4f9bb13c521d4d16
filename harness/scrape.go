package harness

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// TargetMetrics is one reading of the target's Prometheus counters, summed
// over every instance and every worker process the scraper reached.
type TargetMetrics struct {
	// Values maps a metric name to its value summed over label sets,
	// instances and workers (counters and gauges alike).
	Values map[string]float64
	// Workers is how many distinct instance/worker pairs answered.
	Workers int
	// Missed lists endpoints that could not be scraped.
	Missed []string
}

// Delta returns the increase of each metric from before to m: what a run
// caused. A counter that went down (its worker restarted) counts from zero.
func (m TargetMetrics) Delta(before TargetMetrics) TargetMetrics {
	out := TargetMetrics{Values: make(map[string]float64, len(m.Values)), Workers: m.Workers, Missed: m.Missed}
	for name, v := range m.Values {
		d := v - before.Values[name]
		if d < 0 {
			d = v
		}
		out.Values[name] = d
	}
	return out
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
	total := TargetMetrics{Values: map[string]float64{}}
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
			for _, values := range perWorker {
				total.Workers++
				for name, v := range values {
					total.Values[name] += v
				}
			}
		}()
	}
	wg.Wait()
	return total
}

func (s *scraper) scrapeInstance(ctx context.Context, url string) (map[string]map[string]float64, error) {
	perWorker := map[string]map[string]float64{}
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

func (s *scraper) scrapeOnce(ctx context.Context, url string) (string, map[string]float64, error) {
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
	return resp.Header.Get("X-Worker"), values, nil
}

// parseMetrics sums every sample of each counter and gauge by name.
func parseMetrics(resp *http.Response) (map[string]float64, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("parse metrics: %w", err)
	}
	values := make(map[string]float64, len(families))
	for name, fam := range families {
		var sum float64
		for _, m := range fam.GetMetric() {
			sum += sampleValue(fam.GetType(), m)
		}
		values[name] = sum
	}
	return values, nil
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
