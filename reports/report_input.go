package reports

import (
	"time"
)

// ReportInput is everything the sign-off report shows. Summary is required;
// Aggregate carries the per-second figures the charts draw (nil: a report
// without time charts, said so in the report); Target is the target's own
// metrics scraped during the run (nil: no target chart).
type ReportInput struct {
	Summary     Summary
	Aggregate   *Aggregate
	Target      []TargetSample
	Environment Environment
	// Charts, when set, are used as they are instead of being rendered from
	// the aggregate: render them once with RenderCharts when writing several
	// artefacts of one run.
	Charts []Chart
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
		e.Provider == "" && e.RedisKind == "" && len(e.Versions) == 0 && e.Generated.IsZero()
}
