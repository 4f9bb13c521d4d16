// Package promout exports a run's live figures to Prometheus while it runs:
// a collector over the run's aggregate (read when someone gathers, so the
// generator's hot path pays nothing per result), a handler for Prometheus
// to scrape, and a remote writer that pushes the same metrics to a
// remote-write receiver on its own goroutine, bounded so that a slow or dead
// receiver never slows the load nor changes the verdict. It is the one
// package of the harness that uses client_golang's registry and the
// remote-write protocol; the harness hands it the aggregate through
// harness.WithAggregate and knows nothing of Prometheus.
//
// Every metric is named loadtest_* and carries the labels run_id and suite,
// and scenario, step and phase where the aggregate keeps them apart; see
// the HELP of each, and deploy/grafana/loadtest.json for a dashboard.
package promout
