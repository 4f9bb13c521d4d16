package target

import (
	"fmt"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Outcomes of a store operation, the result label of the store counters.
const (
	resultOK      = "ok"
	resultMissing = "missing"
	resultError   = "error"
	resultTooBig  = "too_large"
)

// metrics are the contract's Prometheus series, on a registry of their own so
// that two Servers in one test process never collide.
type metrics struct {
	registry *prometheus.Registry

	inFlight    prometheus.Gauge
	queueDepth  prometheus.Gauge
	busyThreads prometheus.Gauge

	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	workerRestarts prometheus.Counter
	sessionOps     *prometheus.CounterVec
	datasetOps     *prometheus.CounterVec
	serialization  prometheus.Counter
	overload       prometheus.Counter
	// circuitRejections counts store calls an open circuit refused, by
	// store; the state gauges are added by watchCircuit.
	circuitRejections *prometheus.CounterVec
}

func newMetrics(restarts int) (*metrics, error) {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "target_requests_in_flight",
			Help: "Requests this worker is handling, waiting for a thread included.",
		}),
		queueDepth: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "target_queue_depth",
			Help: "Requests waiting for a thread.",
		}),
		busyThreads: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "target_busy_threads",
			Help: "Threads (request slots) in use.",
		}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "target_requests_total",
			Help: "Requests answered, by route template and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "target_request_duration_seconds",
			Help:    "Time from arrival to the handler's return, by route template.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 5, 10},
		}, []string{"route"}),
		workerRestarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "target_worker_restarts_total",
			Help: "Restarts of this worker slot by its supervisor.",
		}),
		sessionOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "target_session_store_operations_total",
			Help: "Session store operations by operation and result.",
		}, []string{"op", "result"}),
		datasetOps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "target_dataset_store_operations_total",
			Help: "Data-set store operations by operation and result.",
		}, []string{"op", "result"}),
		serialization: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "target_serialization_errors_total",
			Help: "Data sets that could not be put into or read back from their store.",
		}),
		overload: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "target_overload_rejections_total",
			Help: "Requests answered 503 overloaded by the concurrency limiter.",
		}),
		circuitRejections: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "target_circuit_rejections_total",
			Help: "Store calls refused by an open circuit breaker, by store.",
		}, []string{"store"}),
	}
	for _, c := range []prometheus.Collector{
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
		m.inFlight, m.queueDepth, m.busyThreads, m.requests, m.duration,
		m.workerRestarts, m.sessionOps, m.datasetOps, m.serialization, m.overload,
		m.circuitRejections,
	} {
		if err := m.registry.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	// The restart count is known at start-up: the supervisor tells the new
	// worker how many times its slot was restarted before.
	m.workerRestarts.Add(float64(restarts))
	return m, nil
}

// watchCircuit exports b's state as target_circuit_state{store} (0 closed,
// 1 half-open, 2 open), read at scrape time so that an open circuit whose
// cool-down has passed shows as half-open even before the next call. The
// rejection series of store starts at zero, so it is there to be read.
func (m *metrics) watchCircuit(store string, b *breaker) error {
	g := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "target_circuit_state",
		Help:        "Circuit breaker state of a store: 0 closed, 1 half-open, 2 open.",
		ConstLabels: prometheus.Labels{"store": store},
	}, func() float64 { return float64(b.State()) })
	if err := m.registry.Register(g); err != nil {
		return fmt.Errorf("register circuit metrics: %w", err)
	}
	m.circuitRejections.WithLabelValues(store)
	return nil
}

// handler serves the registry in the Prometheus text format.
func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}
