package scenarios

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"loadharness"
)

// sampleResults covers every field, with and without the optional ones.
func sampleResults() []loadharness.Result {
	t0 := time.Date(2025, 7, 29, 10, 0, 0, 123456789, time.UTC)
	return []loadharness.Result{
		{Scenario: "map-views", Step: "map", Method: "GET", URL: "http://127.0.0.1:8080/map", User: 42, Seq: 7,
			Intended: t0.Add(-3 * time.Millisecond), Sent: t0, Latency: 12345678 * time.Nanosecond, Code: 200,
			BytesIn: 5120, Instance: "instance-2", Worker: "3", Session: loadharness.SessionKept},
		{Scenario: "uploads", Step: "upload", Method: "POST", URL: "http://127.0.0.1:8080/upload", User: 0, Seq: 8,
			Sent: t0.Add(time.Second), Latency: time.Second, Code: 503, Error: "503 Service Unavailable",
			BytesOut: 20480, Session: loadharness.SessionLost, CheckFailure: "status 503, want 201"},
		{Scenario: "uploads", Step: "login", Method: "POST", URL: "http://127.0.0.1:8080/login", User: 4294967295, Seq: 9,
			Intended: t0.Add(2 * time.Second), Sent: t0.Add(2 * time.Second), Error: `Post "http://127.0.0.1:8080/login": connection refused`},
	}
}

// sameResult compares results, times by instant.
func sameResult(a, b loadharness.Result) bool {
	if !a.Intended.Equal(b.Intended) || !a.Sent.Equal(b.Sent) {
		return false
	}
	a.Intended, a.Sent = b.Intended, b.Sent
	return a == b
}

func writeRaw(tb testing.TB, rs []loadharness.Result) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := NewRawWriter(&buf)
	for i := range rs {
		w.Add(&rs[i])
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestRawRoundTrip(t *testing.T) {
	want := sampleResults()
	data := writeRaw(t, want)
	if got := bytes.Count(data, []byte("\n")); got != len(want) {
		t.Fatalf("%d lines, want %d", got, len(want))
	}
	got := &collected{}
	n, err := ReadRaw(context.Background(), bytes.NewReader(data), got)
	if err != nil || n != len(want) {
		t.Fatalf("ReadRaw = %d, %v", n, err)
	}
	for i := range want {
		if !sameResult(got.results[i], want[i]) {
			t.Errorf("result %d:\n got %+v\nwant %+v", i, got.results[i], want[i])
		}
	}
}

func TestRawTruncated(t *testing.T) {
	data := writeRaw(t, sampleResults())
	cut := data[:len(data)-20]
	got := &collected{}
	n, err := ReadRaw(context.Background(), bytes.NewReader(cut), got)
	var te *TruncatedError
	if !errors.As(err, &te) {
		t.Fatalf("err = %v, want a *TruncatedError", err)
	}
	if n != 2 || len(got.results) != 2 || te.Line != 3 {
		t.Errorf("read %d results, truncated line %d; want 2 and line 3", n, te.Line)
	}
	// A missing final newline alone is not a truncation.
	n, err = ReadRaw(context.Background(), bytes.NewReader(data[:len(data)-1]), &collected{})
	if err != nil || n != 3 {
		t.Errorf("without the last newline: %d, %v; want 3, nil", n, err)
	}
}

func TestRawBadLine(t *testing.T) {
	data := writeRaw(t, sampleResults())
	lines := bytes.SplitAfter(data, []byte("\n"))
	bad := bytes.Join([][]byte{lines[0], []byte("\n"), []byte("{not json}\n"), lines[1]}, nil)
	n, err := ReadRaw(context.Background(), bytes.NewReader(bad), &collected{})
	if err == nil || !strings.Contains(err.Error(), "line 3") || n != 1 {
		t.Errorf("ReadRaw = %d, %v; want 1 and an error naming line 3", n, err)
	}
	var te *TruncatedError
	if errors.As(err, &te) {
		t.Error("a bad line in the middle is not a truncation")
	}
	if _, err := ReadRaw(context.Background(), strings.NewReader("{}\n"), &collected{}); err == nil {
		t.Error("an object without a timestamp: want an error")
	}
}

func TestVegetaReadsRawFiles(t *testing.T) {
	want := sampleResults()
	data := writeRaw(t, want)
	dec := vegeta.DecoderFor(bytes.NewReader(data))
	if dec == nil {
		t.Fatal("vegeta does not recognise the format")
	}
	var got []vegeta.Result
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatal(err)
			}
			break
		}
		got = append(got, r)
	}
	if len(got) != len(want) {
		t.Fatalf("vegeta decoded %d results, want %d", len(got), len(want))
	}
	var m vegeta.Metrics
	for i, r := range got {
		if r.Attack != want[i].Scenario || !r.Timestamp.Equal(want[i].Sent) || r.Latency != want[i].Latency || r.Code != want[i].Code {
			t.Errorf("result %d: vegeta read %+v", i, r)
		}
		m.Add(&got[i])
	}
	m.Close()
	if got, want := m.StatusCodes, map[string]int{"200": 1, "503": 1, "0": 1}; len(got) != len(want) || got["200"] != 1 || got["503"] != 1 || got["0"] != 1 {
		t.Errorf("vegeta status codes %v, want %v", got, want)
	}
}

func TestReadPlainVegetaFile(t *testing.T) {
	var buf bytes.Buffer
	enc := vegeta.NewJSONEncoder(&buf)
	vr := vegeta.Result{Attack: "plain", Seq: 3, Code: 200, Timestamp: time.Unix(1700000000, 5), Latency: time.Millisecond,
		Method: "GET", URL: "http://h/map?indicator=tpr", Body: []byte("<svg/>"),
		Headers: map[string][]string{"X-Instance": {"i9"}, "X-Worker": {"4"}}}
	if err := enc.Encode(&vr); err != nil {
		t.Fatal(err)
	}
	got := &collected{}
	if n, err := ReadRaw(context.Background(), &buf, got); err != nil || n != 1 {
		t.Fatalf("ReadRaw = %d, %v", n, err)
	}
	r := got.results[0]
	if r.Step != "GET /map" || r.Scenario != "plain" || r.Instance != "i9" || r.Worker != "4" || r.Session != loadharness.SessionUnchecked || !r.Intended.IsZero() {
		t.Errorf("got %+v", r)
	}
}

func TestRawWriterReportsWriteErrors(t *testing.T) {
	w := NewRawWriter(failingWriter{})
	rs := sampleResults()
	for range 1000 {
		w.Add(&rs[0])
	}
	if err := w.Close(); err == nil {
		t.Error("Close after a failed write: want the error")
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func FuzzReadRaw(f *testing.F) {
	data := writeRaw(f, sampleResults())
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add([]byte("{}\n\n{\"timestamp\":\"2025-01-01T00:00:00Z\"}\n"))
	f.Add([]byte(`{"timestamp":"2025-01-01T00:00:00Z","headers":{"X-Loadtest-User":["x"],"X-Loadtest-Intended":["-5"]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		got := &collected{}
		n, err := ReadRaw(context.Background(), bytes.NewReader(data), got)
		if n != len(got.results) {
			t.Fatalf("ReadRaw says %d results, the sink got %d", n, len(got.results))
		}
		if err != nil {
			return
		}
		// What was read writes back and reads again; after that first
		// rewrite (which replaces invalid UTF-8, as JSON must) a round trip
		// changes nothing.
		once := &collected{}
		if m, err := ReadRaw(context.Background(), bytes.NewReader(writeRaw(t, got.results)), once); err != nil || m != n {
			t.Fatalf("second read: %d, %v; want %d", m, err, n)
		}
		twice := &collected{}
		if m, err := ReadRaw(context.Background(), bytes.NewReader(writeRaw(t, once.results)), twice); err != nil || m != n {
			t.Fatalf("third read: %d, %v; want %d", m, err, n)
		}
		for i := range once.results {
			if !sameResult(once.results[i], twice.results[i]) {
				t.Fatalf("result %d changed:\n%+v\n%+v", i, once.results[i], twice.results[i])
			}
		}
	})
}

func TestRawRoundTripOfCapturesAndDroppedHits(t *testing.T) {
	t0 := time.Date(2025, 7, 29, 10, 0, 0, 0, time.UTC)
	want := []loadharness.Result{
		{Scenario: "uploads", Step: "upload", Method: "POST", URL: "http://127.0.0.1:8080/upload", User: 5, Seq: 10,
			Sent: t0, Latency: time.Millisecond, Code: 201, Dataset: "ds-5"},
		{Scenario: "map-views", Seq: 11, Intended: t0.Add(time.Second), Sent: t0.Add(time.Second),
			Error: loadharness.DropUsersBusy, Dropped: 37},
		{Scenario: "map-views", Step: "map", Seq: 12, Intended: t0, Sent: t0, Code: 404, Error: "404 Not Found",
			Session: loadharness.SessionUnproven},
	}
	got := &collected{}
	if _, err := ReadRaw(context.Background(), bytes.NewReader(writeRaw(t, want)), got); err != nil {
		t.Fatal(err)
	}
	if len(got.results) != len(want) {
		t.Fatalf("read %d results, want %d", len(got.results), len(want))
	}
	for i := range want {
		if !sameResult(got.results[i], want[i]) {
			t.Errorf("result %d:\n got %+v\nwant %+v", i, got.results[i], want[i])
		}
	}
}

// RawReader is ReadRaw one result at a time: the same results, the same
// errors, and an end or an error that stays.
func TestRawReaderPullsWhatReadRawPushes(t *testing.T) {
	data := writeRaw(t, sampleResults())
	lines := bytes.SplitAfter(data, []byte("\n"))
	tests := []struct {
		name    string
		data    []byte
		want    int // results before the end
		wantErr string
		cut     bool
	}{
		{"whole file", data, 3, "", false},
		{"blank lines", bytes.Join([][]byte{[]byte("\n"), lines[0], []byte("  \n"), lines[1]}, nil), 2, "", false},
		{"bad line", bytes.Join([][]byte{lines[0], []byte("{oops\n"), lines[1]}, nil), 1, "line 2", false},
		{"cut last line", data[:len(data)-10], 2, "line 3 is truncated", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := NewRawReader(bytes.NewReader(tt.data))
			var (
				res loadharness.Result
				n   int
				err error
			)
			for err = rr.Next(context.Background(), &res); err == nil; err = rr.Next(context.Background(), &res) {
				n++
			}
			if n != tt.want {
				t.Errorf("%d results, want %d", n, tt.want)
			}
			switch {
			case tt.wantErr == "" && !errors.Is(err, io.EOF):
				t.Errorf("end = %v, want io.EOF", err)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Errorf("end = %v, want an error with %q", err, tt.wantErr)
			}
			var te *TruncatedError
			if errors.As(err, &te) != tt.cut {
				t.Errorf("end = %v; a truncation: %v, want %v", err, !tt.cut, tt.cut)
			}
			if again := rr.Next(context.Background(), &res); again != err {
				t.Errorf("Next after the end = %v, want %v again", again, err)
			}
			pushed, errPush := ReadRaw(context.Background(), bytes.NewReader(tt.data), &collected{})
			if pushed != n || (errPush == nil) != errors.Is(err, io.EOF) {
				t.Errorf("ReadRaw = %d, %v; RawReader %d, %v", pushed, errPush, n, err)
			}
		})
	}
}
