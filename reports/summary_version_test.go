package reports_test

import (
	"bytes"
	"strings"
	"testing"

	"loadharness/reports"
	"loadharness/reports/internal/fixture"
)

func TestSummaryJSONStartsWithSchemaVersion(t *testing.T) {
	s := fixture.Summary(t)
	s.SchemaVersion = 0 // as read from a summary written before the field
	var buf bytes.Buffer
	if err := reports.WriteSummaryJSON(&buf, s); err != nil {
		t.Fatal(err)
	}
	if got, want := buf.String(), "{\n  \"schema_version\": 1,\n"; !strings.HasPrefix(got, want) {
		t.Errorf("summary starts %q, want %q", got[:min(len(got), 40)], want)
	}
}

func TestReadSummaryJSONSchemaVersion(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		want    int
		wantErr string
	}{
		// Summaries written before schema_version existed still read.
		{"absent", `{"verdict": "pass"}`, 0, ""},
		{"current", `{"schema_version": 1, "verdict": "pass"}`, 1, ""},
		{"newer", `{"schema_version": 2, "verdict": "pass"}`, 0, "schema_version 2"},
		{"negative", `{"schema_version": -1}`, 0, "schema_version -1"},
		{"not a number", `{"schema_version": "1"}`, 0, "schema_version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := reports.ReadSummaryJSON(strings.NewReader(tt.text))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ReadSummaryJSON(%s) = %v", tt.text, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("ReadSummaryJSON(%s) error = %v, want one naming %q", tt.text, err, tt.wantErr)
			case err == nil && s.SchemaVersion != tt.want:
				t.Errorf("schema_version = %d, want %d", s.SchemaVersion, tt.want)
			}
		})
	}
}
