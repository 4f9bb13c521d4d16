// Package reports folds the stream of results into bounded-memory aggregates
// and writes what a run proved: the machine-readable summary for CI, the
// verdict table for a terminal, and (in other files) charts and the sign-off
// report. Every writer takes an io.Writer; cmd/ decides file names.
package reports
