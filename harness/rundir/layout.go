// Package rundir is what a run leaves on disk: the one place that names
// the files of a run directory (and of a capacity search's), writes them
// and reads them back, so that ` + "`loadtest run`" + `, ` + "`report`" + `, ` + "`compare`" + ` and
// ` + "`capacity`" + ` agree on the layout. Writers elsewhere take an io.Writer.
package rundir

// Files of a run directory.
const (
	// SummaryFile is the machine-readable account of the run, for CI.
	SummaryFile = "summary.json"
	// ResultsFile holds every result in Vegeta's JSON format, one a line,
	// so that ` + "`vegeta report`" + ` reads it and ` + "`loadtest report`" + ` rebuilds every
	// figure from it. Lines are written as responses complete, so
	// ` + "`vegeta plot`" + ` needs ExportVegeta's copy (` + "`loadtest export vegeta`" + `).
	ResultsFile        = "results.json"
	ReportHTMLFile     = "report.html"
	ReportMarkdownFile = "report.md"
	JUnitFile          = "junit.xml"
	// EnvironmentFile and TargetMetricsFile keep what a raw results file
	// cannot, so ` + "`loadtest report`" + ` regenerates the same report later.
	EnvironmentFile   = "environment.json"
	TargetMetricsFile = "target-metrics.json"
	// ChartDir holds the Markdown report's charts, as PNG and SVG.
	ChartDir = "charts"
	// StackDir holds the stack's logs and local data.
	StackDir = "stack"
)

// Files of a capacity search's directory.
const (
	CapacityJSONFile = "capacity.json"
	CapacityCSVFile  = "capacity.csv"
	CapacityPNGFile  = "capacity.png"
	CapacitySVGFile  = "capacity.svg"
	GridJSONFile     = "capacity-plan.json"
	GridCSVFile      = "capacity-plan.csv"
	CompareJSONFile  = "compare.json"
)
