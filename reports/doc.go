// Package reports writes what a run proved: the machine-readable summary
// for CI, the verdict table for a terminal, the sign-off report in HTML and
// Markdown, JUnit for CI dashboards and the comparison of two runs. It reads
// the run's figures from reports/aggregate; the report's charts are drawn
// by reports/charts and handed in rendered (ReportInput.Charts). Every
// writer takes an io.Writer; cmd/ decides file names.
package reports
