package promout

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"loadharness/reports/aggregate"
)

// Exporter holds a run's metrics in a registry of its own (never the
// process's default one, so no Go runtime metrics of the generator mix with
// the run's): the Collector, and the health of a remote writer once one is
// started. It serves them to a scraper (Handler) and pushes them to a
// remote-write receiver (RemoteWrite).
type Exporter struct {
	collector *Collector
	registry  *prometheus.Registry
	run       Run
}

// NewExporter returns the exporter of run's metrics; it exports nothing of
// the load until Watch hands it the run's aggregate.
func NewExporter(run Run) *Exporter {
	e := &Exporter{collector: NewCollector(run), registry: prometheus.NewRegistry(), run: run}
	e.registry.MustRegister(e.collector)
	return e
}

// Watch exports a's figures from now on. Its signature is the one
// harness.WithAggregate takes.
func (e *Exporter) Watch(a *aggregate.Aggregate) { e.collector.Watch(a) }

// Handler serves the metrics in Prometheus's exposition formats, for a
// Prometheus to scrape. A scrape gathers the figures anew, so it reads
// the run as it stands.
func (e *Exporter) Handler() http.Handler {
	return promhttp.HandlerFor(e.registry, promhttp.HandlerOpts{
		// A figure that cannot be gathered is said in the response, and
		// the rest are served.
		ErrorHandling: promhttp.ContinueOnError,
	})
}

// RemoteWrite starts pushing the exporter's metrics to the remote-write
// receiver at url (the full URL, for Prometheus ending in /api/v1/write)
// every interval (see the options), and adds the writer's own health to
// the metrics. The caller must Close the writer, which sends the final
// figures.
func (e *Exporter) RemoteWrite(url string, opts ...Option) (*Writer, error) {
	w, err := newWriter(url, e.registry, e.run, opts...)
	if err != nil {
		return nil, err
	}
	if err := e.registry.Register(w.health); err != nil {
		w.stopNow()
		return nil, err
	}
	w.start()
	return w, nil
}
