package reports_test

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"loadharness"
	"loadharness/reports"
	"loadharness/reports/internal/fixture"
)

func TestSummaryJSONGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := reports.WriteSummaryJSON(&buf, fixture.Summary(t)); err != nil {
		t.Fatal(err)
	}
	assertGolden(t, "summary.json.golden", buf.Bytes())
}

func TestSummaryJSONRoundTrip(t *testing.T) {
	want := fixture.Summary(t)
	var buf bytes.Buffer
	if err := reports.WriteSummaryJSON(&buf, want); err != nil {
		t.Fatal(err)
	}
	written := bytes.Clone(buf.Bytes())
	got, err := reports.ReadSummaryJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	// Figures, gates and times come back exactly (JSON floats round-trip).
	if !reflect.DeepEqual(got.Scenarios, want.Scenarios) {
		t.Errorf("scenarios differ after a round trip:\ngot  %+v\nwant %+v", got.Scenarios, want.Scenarios)
	}
	if !reflect.DeepEqual(got.Gates, want.Gates) {
		t.Errorf("gates differ after a round trip:\ngot  %+v\nwant %+v", got.Gates, want.Gates)
	}
	if !got.Started.Equal(want.Started) || !got.Finished.Equal(want.Finished) {
		t.Errorf("times = %v..%v, want %v..%v", got.Started, got.Finished, want.Started, want.Finished)
	}
	// The rest, nil lists written as [] included, writes back the same bytes.
	buf.Reset()
	if err := reports.WriteSummaryJSON(&buf, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), written) {
		t.Errorf("summary changed on a round trip:\n%s\nthen\n%s", written, buf.Bytes())
	}
}

func TestSummaryJSONContract(t *testing.T) {
	var buf bytes.Buffer
	if err := reports.WriteSummaryJSON(&buf, fixture.Summary(t)); err != nil {
		t.Fatal(err)
	}
	// The names CI scripts read; renaming any of them breaks users.
	for _, name := range []string{
		`"verdict": "fail"`, `"suite"`, `"provider"`, `"started"`, `"finished"`, `"invalid_reasons": []`,
		`"warnings"`, `"stack"`, `"events"`, `"gates"`, `"scenario"`, `"gate"`, `"measured"`, `"pass"`,
		`"scenarios"`, `"name"`, `"requests"`, `"failed"`, `"success_ratio"`, `"throughput_rps"`,
		`"asked_rps"`, `"latency_ms"`, `"raw_latency_ms"`, `"p50"`, `"p90"`, `"p95"`, `"p99"`, `"max"`,
		`"mean"`, `"sessions_checked"`, `"sessions_lost"`, `"checks_failed"`, `"codes"`, `"errors"`, `"steps"`,
	} {
		if !strings.Contains(buf.String(), name) {
			t.Errorf("summary JSON lacks %s", name)
		}
	}
}

func TestWriteSummaryJSONEmptyCollections(t *testing.T) {
	var buf bytes.Buffer
	s := reports.Summary{Scenarios: []reports.ScenarioSummary{{Name: "idle", Steps: []reports.StepSummary{{Name: "map"}}}}}
	if err := reports.WriteSummaryJSON(&buf, s); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "null") {
		t.Errorf("summary holds null, want [] and {}:\n%s", buf.String())
	}
}

func TestReadSummaryJSONErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
	}{
		{"empty", ""},
		{"not json", "verdict: pass"},
		{"unknown verdict", `{"verdict": "maybe"}`},
		{"wrong type", `{"scenarios": {"name": "browse"}}`},
		{"trailing data", `{"verdict": "pass"} {}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := reports.ReadSummaryJSON(strings.NewReader(tt.text))
			if err == nil {
				t.Fatalf("ReadSummaryJSON(%q) succeeded", tt.text)
			}
			if !strings.HasPrefix(err.Error(), "read summary: ") {
				t.Errorf("error %q lacks the read summary prefix", err)
			}
		})
	}
}

func TestReadSummaryJSONIgnoresUnknownFields(t *testing.T) {
	s, err := reports.ReadSummaryJSON(strings.NewReader(`{"verdict": "invalid", "schema": 2}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.Verdict, loadharness.VerdictInvalid; got != want {
		t.Errorf("verdict = %v, want %v", got, want)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteSummaryJSONReportsWriteError(t *testing.T) {
	err := reports.WriteSummaryJSON(failingWriter{}, reports.Summary{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteSummaryJSON to a failing writer = %v, want the write error", err)
	}
}

func TestWriteSummaryJSONRefusesNaN(t *testing.T) {
	var buf bytes.Buffer
	s := reports.Summary{Gates: []loadharness.GateResult{{Gate: loadharness.MustParseGate("p95 < 2s"), Measured: math.NaN()}}}
	if err := reports.WriteSummaryJSON(&buf, s); err == nil {
		t.Error("WriteSummaryJSON of a NaN measurement succeeded")
	}
	if buf.Len() != 0 {
		t.Errorf("a failed write left %d bytes behind", buf.Len())
	}
}
