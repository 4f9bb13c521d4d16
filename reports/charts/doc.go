// Package charts draws the charts of a sign-off report with gonum/plot: per
// scenario its latency, throughput and errors, and the share each instance
// served, second by second with the run's events marked; the latency
// distribution; the target's own metrics; and the curve of a capacity
// search. For and Capacity draw them; a Chart renders to any io.Writer as
// PNG or SVG. Charts choose no file names and write no files: a chart's
// Name is stable, and the caller names files after it.
package charts
