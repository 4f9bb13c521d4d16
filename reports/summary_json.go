package reports

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteSummaryJSON writes s as indented JSON in a stable field order, with
// schema_version first. Empty lists and maps are written as [] and {},
// never null, so CI scripts can index them without a guard.
func WriteSummaryJSON(w io.Writer, s Summary) error {
	// What is written is this version's format, whatever s was read from.
	s.SchemaVersion = SummarySchemaVersion
	if err := WriteJSON(w, withEmptyCollections(s)); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// ReadSummaryJSON reads a summary written by WriteSummaryJSON. Unknown
// fields are ignored, so an older reader accepts a summary with fields
// added since; a schema_version above SummarySchemaVersion is an error,
// since such a summary changed what a field means. A summary without
// schema_version, written before it existed, reads as it always did.
// Anything after the summary is an error.
func ReadSummaryJSON(r io.Reader) (Summary, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return Summary{}, fmt.Errorf("read summary: %w", err)
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return Summary{}, fmt.Errorf("read summary: %w", err)
	}
	if s.SchemaVersion < 0 || s.SchemaVersion > SummarySchemaVersion {
		return Summary{}, fmt.Errorf("read summary: schema_version %d is not one this loadtest reads (1..%d)",
			s.SchemaVersion, SummarySchemaVersion)
	}
	for i, g := range s.Gates {
		// A gate result whose gate is missing or null cannot be judged
		// again, nor written back as text that reads.
		if g.Gate.Metric.Name == "" {
			return Summary{}, fmt.Errorf("read summary: gates[%d] has no gate", i)
		}
	}
	return s, nil
}

// withEmptyCollections returns a copy of s whose nil slices and maps are
// empty ones.
func withEmptyCollections(s Summary) Summary {
	s.InvalidReasons = nonNil(s.InvalidReasons)
	s.Warnings = nonNil(s.Warnings)
	s.Events = nonNil(s.Events)
	s.Gates = nonNil(s.Gates)
	scenarios := make([]ScenarioSummary, len(s.Scenarios))
	for i, sc := range s.Scenarios {
		sc.Figures = sc.Figures.withEmptyCollections()
		steps := make([]StepSummary, len(sc.Steps))
		for j, st := range sc.Steps {
			st.Figures = st.Figures.withEmptyCollections()
			steps[j] = st
		}
		sc.Steps = steps
		scenarios[i] = sc
	}
	s.Scenarios = scenarios
	return s
}

func (f Figures) withEmptyCollections() Figures {
	if f.Codes == nil {
		f.Codes = map[string]int{}
	}
	if f.Errors == nil {
		f.Errors = map[string]int{}
	}
	return f
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
