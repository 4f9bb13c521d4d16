package capacity

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"loadharness"
	"loadharness/reports"
)

// sampleCapacity is a finished search of 3 steps and a confirmation.
func sampleCapacity() Result {
	pass, fail := loadharness.VerdictPass, loadharness.VerdictFail
	return Result{
		Suite: "default", Scenario: "map-views", By: ByRate, Unit: "req/s",
		Shape:    loadharness.StackShape{Instances: 3, Workers: 4, Threads: 8},
		Capacity: 300, Confirmed: true, LastPass: 300, FirstFail: 330, LimitedBy: LimitGates,
		Gates: []string{"p95 < 2s"}, CPUs: 2,
		Knee: &Knee{Load: 300, P95: 90, BaselineLoad: 150, BaselineP95: 20, Rule: "rule"},
		Curve: []CurvePoint{
			{Load: 150, Phase: PhaseBracket, Verdict: pass, Requests: 750, P95: 20},
			{Load: 600, Phase: PhaseBracket, Verdict: fail, Requests: 100, P95: 9000, Aborted: "p95 far past", FailedGates: []string{"p95 = 9s"}},
			{Load: 330, Phase: PhaseBisect, Verdict: fail, Requests: 1600, P95: 2500, FailedGates: []string{"p95 = 2.5s"}},
			{Load: 300, Phase: PhaseConfirm, Verdict: pass, Requests: 4500, P95: 90},
		},
	}
}

func TestWriteCapacityTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, sampleCapacity()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"CAPACITY: 300/s, between 300/s (last pass) and 330/s (first fail); confirmed by a longer run",
		"knee: 300/s (p95 90ms, against 20ms at 150/s)",
		"aborted: p95 far past",
		"2 CPU core(s) here",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Rows are sorted by load.
	if i150, i330, i600 := strings.Index(out, "\n150/s"), strings.Index(out, "\n330/s"), strings.Index(out, "\n600/s"); !(i150 < i330 && i330 < i600) {
		t.Errorf("curve rows not sorted by load:\n%s", out)
	}
}

func TestWriteCapacityCSVAndJSON(t *testing.T) {
	res := sampleCapacity()
	var b bytes.Buffer
	if err := WriteCSV(&b, res); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&b).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rows), 1+len(res.Curve); got != want {
		t.Fatalf("%d CSV rows, want %d", got, want)
	}
	if got, want := strings.Join(rows[0][:4], ","), "load,unit,phase,verdict"; got != want {
		t.Errorf("header starts %q, want %q", got, want)
	}
	if got, want := rows[1][0]+" "+rows[len(rows)-1][0], "150 600"; got != want {
		t.Errorf("first and last loads %q, want %q", got, want)
	}
	b.Reset()
	if err := WriteJSON(&b, res); err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Capacity != res.Capacity || back.Curve[1].Verdict != loadharness.VerdictFail || back.Knee.Load != 300 {
		t.Errorf("capacity.json does not read back: %+v", back)
	}
}

func TestCapacityLineSaysHowSure(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Result)
		want string
	}{
		{"none", func(r *Result) { r.Capacity = 0 }, "CAPACITY: none: the lowest load tried (150/s) already fails"},
		{"unconfirmed", func(r *Result) { r.Confirmed = false }, "NOT confirmed"},
		{"generator", func(r *Result) { r.LimitedBy = LimitGenerator }, "a LOWER BOUND"},
		{"max", func(r *Result) { r.FirstFail, r.LimitedBy = 0, LimitMax }, "no load tried failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := sampleCapacity()
			tt.edit(&r)
			if got := capacityLine(r); !strings.Contains(got, tt.want) {
				t.Errorf("capacityLine = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestLossSinkClassifiesLosses(t *testing.T) {
	suite := mustSuite(t, planSuite) // browse: setup [login, upload], steps [dataset]
	l := newLossSink(suite)
	add := func(user uint32, step string, code uint16, instance, worker string, s loadharness.SessionOutcome) {
		l.Add(&loadharness.Result{Scenario: "browse", Step: step, User: user, Code: code, Instance: instance, Worker: worker, Session: s})
	}
	lost := loadharness.SessionLost
	add(1, "upload", 201, "instance-1", "1", 0)
	add(1, "dataset", 404, "instance-1", "2", lost) // across workers
	add(1, "dataset", 404, "instance-2", "1", lost) // the same user again: counted once
	add(2, "upload", 201, "instance-1", "1", 0)
	add(2, "dataset", 404, "instance-2", "1", lost) // across instances
	add(3, "upload", 201, "instance-2", "1", 0)
	add(3, "dataset", 500, "instance-1", "1", 0) // data on the other instance's disk
	add(3, "dataset", 500, "instance-1", "1", 0)
	add(4, "upload", 507, "instance-1", "1", 0) // too large for the session
	want := LossReport{UsersLost: 2, AcrossWorkers: 1, AcrossInstances: 1, DataMissing: 1, TooLarge: 1}
	if got := l.report; got != want {
		t.Errorf("losses = %+v, want %+v", got, want)
	}
}

func TestCriteriaLinesUpBothSides(t *testing.T) {
	before := reports.Summary{Gates: []loadharness.GateResult{
		{Scenario: "uploads", Gate: loadharness.MustParseGate("sessions_lost == 0"), Display: "sessions_lost = 12", Pass: false},
		{Scenario: "uploads", Gate: loadharness.MustParseGate("p95 < 2s"), Display: "p95 = 40ms", Pass: true},
	}}
	after := reports.Summary{Gates: []loadharness.GateResult{
		{Scenario: "uploads", Gate: loadharness.MustParseGate("p95 < 2s"), Display: "p95 = 30ms", Pass: true},
		{Scenario: "uploads", Gate: loadharness.MustParseGate("sessions_lost == 0"), Display: "sessions_lost = 0", Pass: true},
		{Scenario: "map-views", Gate: loadharness.MustParseGate("throughput >= 100/s"), Display: "throughput = 150/s", Pass: true},
	}}
	got := criteria(before, after)
	if len(got) != 3 {
		t.Fatalf("%d criteria, want 3: %+v", len(got), got)
	}
	if c := got[0]; c.Gate.String() != "sessions_lost == 0" || c.BeforePass || !c.AfterPass || c.After != "sessions_lost = 0" {
		t.Errorf("first criterion = %+v", c)
	}
	if c := got[2]; c.Scenario != "map-views" || c.Before != "" || !c.AfterPass {
		t.Errorf("a gate only the after suite has = %+v", c)
	}
	var b bytes.Buffer
	cmp := ShapeComparison{Criteria: got, Failures: []string{"sessions lost: 12 of 50 users"},
		Before: ShapeSide{Suite: "before", Verdict: loadharness.VerdictFail}, After: ShapeSide{Suite: "default"}}
	if err := WriteComparison(&b, cmp); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"BEFORE before", "FAIL sessions_lost = 12", "PASS sessions_lost = 0", "  - sessions lost: 12 of 50 users"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("comparison lacks %q:\n%s", want, b.String())
		}
	}
}
