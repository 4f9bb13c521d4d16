package reports

import (
	"time"

	"loadharness"
	"loadharness/reports/aggregate"
)

// TimeAxis maps seconds of an aggregate to the time axis every time chart
// of a report shares, and the event table with them: time since the run's
// first request, in seconds, or in minutes for runs longer than a quarter
// of an hour.
type TimeAxis struct {
	// Start is the aggregate's start: its second 0.
	Start time.Time
	// Origin is the second of the run's first request, which the axis
	// places at 0.
	Origin int
	// Unit is how many seconds one unit of the axis spans: 1 or 60.
	Unit float64
	// Label names the axis, unit included.
	Label string
}

// NewTimeAxis returns the time axis of a's run.
func NewTimeAxis(a *aggregate.Aggregate) TimeAxis {
	ax := TimeAxis{Start: a.Start(), Unit: 1, Label: "time since the first measured request (s)"}
	first, last := aggregate.ActiveWindow(a.Seconds(loadharness.Scope{}))
	if first >= 0 {
		ax.Origin = first
		if last-first > 15*60 {
			ax.Unit, ax.Label = 60, "time since the first measured request (min)"
		}
	}
	return ax
}

// X places second s (fractions allowed) of the aggregate.
func (ax TimeAxis) X(s float64) float64 { return (s - float64(ax.Origin)) / ax.Unit }

// At places a wall-clock time.
func (ax TimeAxis) At(t time.Time) float64 { return ax.X(t.Sub(ax.Start).Seconds()) }
