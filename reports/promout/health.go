package promout

import "github.com/prometheus/client_golang/prometheus"

// writerHealth exports a Writer's Stats as metrics, so that a dashboard of
// the receiver's copy can say what it lacks: what a batch carries is the
// health as of its gather.
type writerHealth struct {
	w                      *Writer
	sent, dropped, failure *prometheus.Desc
}

var _ prometheus.Collector = (*writerHealth)(nil)

func newWriterHealth(run Run, w *Writer) *writerHealth {
	constant := prometheus.Labels{"run_id": run.ID, "suite": run.Suite}
	return &writerHealth{
		w: w,
		sent: prometheus.NewDesc("loadtest_remote_write_samples_sent_total",
			"Samples the remote writer delivered to its receiver.", nil, constant),
		dropped: prometheus.NewDesc("loadtest_remote_write_samples_dropped_total",
			"Samples the remote writer gathered and never delivered: dropped from its full queue, in a send that failed after its retries, or still queued when the run ended. The run's own figures are whole.", nil, constant),
		failure: prometheus.NewDesc("loadtest_remote_write_failures_total",
			"Remote-write sends that failed after their retries.", nil, constant),
	}
}

// Describe sends the descriptions of the writer's metrics.
func (h *writerHealth) Describe(ch chan<- *prometheus.Desc) {
	ch <- h.sent
	ch <- h.dropped
	ch <- h.failure
}

// Collect sends the writer's counts as they stand.
func (h *writerHealth) Collect(ch chan<- prometheus.Metric) {
	s := h.w.Stats()
	ch <- prometheus.MustNewConstMetric(h.sent, prometheus.CounterValue, float64(s.Sent))
	ch <- prometheus.MustNewConstMetric(h.dropped, prometheus.CounterValue, float64(s.Dropped))
	ch <- prometheus.MustNewConstMetric(h.failure, prometheus.CounterValue, float64(s.Failures))
}
