package reports

import (
	"time"

	"loadharness/reports/aggregate"
)

// ReportInput is everything the sign-off report shows. Summary is required;
// Aggregate carries the per-second figures the charts are drawn from and the
// event table's times (nil: a report without time charts, said so in the
// report); Target is the target's own metrics scraped during the run (nil:
// no target chart).
type ReportInput struct {
	Summary     Summary
	Aggregate   *aggregate.Aggregate
	Target      []TargetSample
	Environment Environment
	// Baseline, when set, is this run compared with a baseline run; the
	// report shows it as `loadtest compare` does, with intervals.
	Baseline *Comparison
	// Charts are the charts the report shows, drawn by the caller from this
	// same input (reports/charts draws them) and rendered once for every
	// artefact of a run; the writers here draw nothing. nil: no charts.
	Charts []ChartImage
}

// ChartImage is one chart as the sign-off report shows it.
type ChartImage struct {
	// Name is unique within a report, for example "latency-browse".
	Name string
	// Title says what the chart shows; Caption how to read it.
	Title   string
	Caption string
	// PNG is the encoded image, which WriteHTML inlines.
	PNG []byte
	// Path is where WriteMarkdown links the image, relative to the
	// Markdown file and with forward slashes, for example
	// "charts/latency-browse.png"; the caller writes the file there.
	Path string
}

// TargetSample is one reading of the target's and Redis's own metrics,
// taken about once a second during a run. Values maps a metric name to its
// value summed over instances and workers. Names follow Prometheus
// conventions, which decide how the report draws them: names starting
// "target_" or "redis_" are charted; a name ending "_total" is a counter,
// drawn as a rate per second; "_bytes" is memory, drawn in MiB; anything
// else is a gauge drawn as it is (target_requests_in_flight,
// target_queue_depth, redis_connected_clients). Redis figures use INFO's
// field names: redis_connected_clients, redis_used_memory_bytes,
// redis_commands_processed_total.
type TargetSample struct {
	At     time.Time          `json:"at"`
	Values map[string]float64 `json:"values"`
}

// Environment says where and with what a run ran, so a reader can judge
// whether its figures stand for production. Every field is optional; an
// empty one prints as "not recorded". Its JSON names are a contract.
type Environment struct {
	// Commit is the harness's (or the target's) source revision.
	Commit string `json:"commit,omitempty"`
	// Host is the machine that generated the load.
	Host string `json:"host,omitempty"`
	OS   string `json:"os,omitempty"`
	Arch string `json:"arch,omitempty"`
	// CPUs is how many CPUs the load generator could use.
	CPUs      int    `json:"cpus,omitempty"`
	GoVersion string `json:"go_version,omitempty"`
	// Provider is how the stack came up: process, docker or external.
	Provider string `json:"provider,omitempty"`
	// RedisKind names the Redis behind the sessions, for example
	// "redis-server 7.2.4", "miniredis (embedded)" or "external".
	RedisKind string `json:"redis_kind,omitempty"`
	// ServiceVersion is the version of the service under test, as the
	// run was told it (loadtest run --service-version); "" when not told.
	ServiceVersion string `json:"service_version,omitempty"`
	// SuiteDigest names the suite file's exact content, "sha256:..."
	// (suite.Digest), so that two runs are shown to have run the same suite.
	SuiteDigest string `json:"suite_digest,omitempty"`
	// Versions lists other components by name, for example "target",
	// "redis", "docker".
	Versions map[string]string `json:"versions,omitempty"`
	// Generated is when the report was written; zero leaves it out (golden
	// files must not depend on the clock).
	Generated time.Time `json:"generated,omitzero"`
}

// notRecorded stands in for an empty environment field.
const notRecorded = "not recorded"

// IsZero reports whether nothing about the environment was recorded.
func (e Environment) IsZero() bool {
	return e.Commit == "" && e.Host == "" && e.OS == "" && e.Arch == "" && e.CPUs == 0 && e.GoVersion == "" &&
		e.Provider == "" && e.RedisKind == "" && e.ServiceVersion == "" && e.SuiteDigest == "" &&
		len(e.Versions) == 0 && e.Generated.IsZero()
}
