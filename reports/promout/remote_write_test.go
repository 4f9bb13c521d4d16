package promout

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/exp/api/remote"
	"github.com/prometheus/prometheus/prompb"

	"loadharness/reports/aggregate"
)

// receiver is a remote-write receiver that keeps the last sample of every
// series, checks the order of their timestamps and labels, and counts
// samples and requests. fail, when set, answers a request's status instead
// (0: store it).
type receiver struct {
	t        testing.TB
	mu       sync.Mutex
	requests int
	samples  uint64
	last     map[string]prompb.Sample
	fail     func(n int) int
}

// Store decodes one request (the handler has undone snappy already).
func (r *receiver) Store(req *http.Request, _ remote.WriteMessageType) (*remote.WriteResponse, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if r.fail != nil {
		if code := r.fail(r.requests); code != 0 {
			resp := remote.NewWriteResponse()
			resp.SetStatusCode(code)
			return resp, errors.New("refused by the test")
		}
	}
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	var wr prompb.WriteRequest
	if err := wr.Unmarshal(body); err != nil {
		return nil, err
	}
	if r.last == nil {
		r.last = map[string]prompb.Sample{}
	}
	for _, ts := range wr.Timeseries {
		if !slices.IsSortedFunc(ts.Labels, func(a, b prompb.Label) int { return strings.Compare(a.Name, b.Name) }) {
			r.t.Errorf("labels not sorted: %v", ts.Labels)
		}
		key := seriesString(ts.Labels)
		if len(ts.Samples) != 1 {
			r.t.Errorf("%s: %d samples, want one per series", key, len(ts.Samples))
			continue
		}
		s := ts.Samples[0]
		if prev, ok := r.last[key]; ok && s.Timestamp <= prev.Timestamp {
			r.t.Errorf("%s: sample at %d after one at %d: Prometheus refuses it", key, s.Timestamp, prev.Timestamp)
		}
		r.last[key] = s
		r.samples++
	}
	return remote.NewWriteResponse(), nil
}

func seriesString(labels []prompb.Label) string {
	var b strings.Builder
	for _, l := range labels {
		if l.Value == "" {
			continue
		}
		b.WriteString(l.Name + "=" + l.Value + ",")
	}
	return b.String()
}

// received returns the samples received so far and the last value of each
// series.
func (r *receiver) received() (uint64, map[string]float64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]float64{}
	for k, s := range r.last {
		out[k] = s.Value
	}
	return r.samples, out
}

func startReceiver(t *testing.T, fail func(n int) int) (*receiver, string) {
	t.Helper()
	r := &receiver{t: t, fail: fail}
	srv := httptest.NewServer(remote.NewWriteHandler(r, remote.MessageTypes{remote.WriteV1MessageType}))
	t.Cleanup(srv.Close)
	return r, srv.URL + "/api/v1/write"
}

// deadURL is a loopback port nothing listens on: every send is refused.
func deadURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr + "/api/v1/write"
}

// slowURL is a receiver that answers nothing until the test ends or the
// sender gives up.
func slowURL(t *testing.T) string {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv.URL + "/api/v1/write"
}

// feed adds results to a from another goroutine until stop is closed, as
// the generator would, and returns the longest a single Add took.
func feed(a *aggregate.Aggregate, stop <-chan struct{}) <-chan time.Duration {
	out := make(chan time.Duration, 1)
	go func() {
		results := testResults()
		var longest time.Duration
		for i := 0; ; i++ {
			select {
			case <-stop:
				out <- longest
				return
			default:
			}
			r := results[i%len(results)]
			r.Sent = r.Sent.Add(time.Duration(i/len(results)) * 10 * time.Second)
			r.Intended = r.Intended.Add(time.Duration(i/len(results)) * 10 * time.Second)
			begin := time.Now()
			a.Add(&r)
			longest = max(longest, time.Since(begin))
			if i%64 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	return out
}

// A receiver that is dead, slow or failing costs the run nothing: results
// keep being added at full speed, gathering goes on while sends stall,
// every sample gathered is counted as sent or dropped, and Close returns
// within its context.
func TestRemoteWriterNeverHoldsUpTheRun(t *testing.T) {
	var errorAttempts atomic.Int64
	tests := []struct {
		name string
		url  func(t *testing.T) string
		opts []Option
		// closeWithin is the context given to Close.
		closeWithin time.Duration
	}{
		{"dead receiver", deadURL, []Option{WithRetries(1)}, 2 * time.Second},
		{"slow receiver", slowURL, []Option{WithSendTimeout(150 * time.Millisecond), WithQueueSize(3)}, 400 * time.Millisecond},
		{"erroring receiver", func(t *testing.T) string {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				errorAttempts.Add(1)
				http.Error(w, "storage on fire", http.StatusInternalServerError)
			}))
			t.Cleanup(srv.Close)
			return srv.URL + "/api/v1/write"
		}, []Option{WithRetries(2), WithQueueSize(4)}, 5 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := aggregate.New(t0)
			e := NewExporter(Run{ID: "r", Suite: "s"})
			e.Watch(a)
			w, err := e.RemoteWrite(tc.url(t), append([]Option{WithInterval(20 * time.Millisecond), WithLogf(t.Logf)}, tc.opts...)...)
			if err != nil {
				t.Fatal(err)
			}
			stop := make(chan struct{})
			longest := feed(a, stop)
			// Long enough for several gathers per stalled send.
			deadline := time.Now().Add(5 * time.Second)
			for w.Stats().Failures == 0 || w.Stats().Batches < 2*DefaultQueueSize {
				if time.Now().After(deadline) {
					t.Fatalf("after 5s: %+v; want a failed send and %d gathers", w.Stats(), 2*DefaultQueueSize)
				}
				time.Sleep(10 * time.Millisecond)
			}
			close(stop)
			if got := <-longest; got > 200*time.Millisecond {
				t.Errorf("an Add took %v while the receiver failed: the writer held the aggregate", got)
			}
			ctx, cancel := context.WithTimeout(context.Background(), tc.closeWithin)
			defer cancel()
			begin := time.Now()
			s := w.Close(ctx)
			t.Logf("stats: %+v", s)
			if took := time.Since(begin); took > tc.closeWithin+200*time.Millisecond {
				t.Errorf("Close took %v, given %v", took, tc.closeWithin)
			}
			if s.Sent != 0 || s.Dropped != s.Gathered || s.Gathered == 0 {
				t.Errorf("stats %+v: want every gathered sample dropped, none sent", s)
			}
			if s.Failures == 0 || s.LastError == "" || !strings.Contains(s.Warning(), "samples dropped") {
				t.Errorf("stats %+v, warning %q: want the failures named", s, s.Warning())
			}
			if again := w.Close(context.Background()); again != s {
				t.Errorf("a second Close says %+v, the first %+v", again, s)
			}
			// The writer's own metrics say the same.
			for k, m := range mustGather(t, e, Run{ID: "r", Suite: "s"}) {
				if k.name == "loadtest_remote_write_samples_dropped_total" && value(m) != float64(s.Dropped) {
					t.Errorf("%s = %v, Stats say %d", k.name, value(m), s.Dropped)
				}
			}
			if tc.name == "erroring receiver" {
				// Each send was tried once and retried twice, no more.
				if got, want := errorAttempts.Load(), int64(3*s.Failures); got != want {
					t.Errorf("the receiver saw %d attempts for %d failed sends, want %d", got, s.Failures, want)
				}
			}
		})
	}
}

// Against a receiver that works, the last values it holds are the run's
// final figures, and every sample it got is counted as sent.
func TestRemoteWriterDeliversTheFinalFigures(t *testing.T) {
	// The first two requests fail: the writer counts what they held as
	// dropped and sends again.
	rcv, url := startReceiver(t, func(n int) int {
		if n <= 2 {
			return http.StatusBadRequest
		}
		return 0
	})
	a := aggregate.New(t0)
	run := Run{ID: "run-1", Suite: "shop"}
	e := NewExporter(run)
	e.Watch(a)
	w, err := e.RemoteWrite(url, WithInterval(15*time.Millisecond), WithLogf(t.Logf))
	if err != nil {
		t.Fatal(err)
	}
	results := testResults()
	for i := range results {
		a.Add(&results[i])
		if i%50 == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s := w.Close(ctx)
	samples, last := rcv.received()
	t.Logf("stats: %+v; the receiver got %d samples", s, samples)
	if s.Failures != 2 || s.Sent != samples || s.Sent+s.Dropped != s.Gathered {
		t.Errorf("stats %+v, receiver got %d samples: want 2 failures, sent = received, sent + dropped = gathered", s, samples)
	}
	final := mustGather(t, e, run)
	checked := 0
	for k, m := range final {
		if strings.HasPrefix(k.name, "loadtest_remote_write_") {
			continue // the writer's health moved with the final send
		}
		name := k.name
		want := value(m)
		if h := m.GetHistogram(); h != nil {
			name, want = k.name+"_count", float64(h.GetSampleCount())
		}
		key := seriesString([]prompb.Label{
			{Name: "__name__", Value: name}, {Name: labelPhase, Value: k.phase}, {Name: "run_id", Value: run.ID},
			{Name: labelScenario, Value: k.scenario}, {Name: labelStep, Value: k.step}, {Name: "suite", Value: run.Suite},
		})
		got, ok := last[key]
		if !ok {
			t.Errorf("the receiver has no series %s", key)
			continue
		}
		if got != want {
			t.Errorf("%s: the receiver's last value is %v, the run's %v", key, got, want)
		}
		checked++
	}
	if checked < 20 {
		t.Errorf("compared %d series, want the fixture's every one", checked)
	}
	if s.Warning() == "" {
		t.Error("two failed sends, yet no warning")
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url  string
		want string // "" for valid
	}{
		{"http://127.0.0.1:9090/api/v1/write", ""},
		{"https://user:secret@mimir.example/api/v1/push", ""},
		{"http://127.0.0.1:9090", "name the receiver's path"},
		{"http://127.0.0.1:9090/", "name the receiver's path"},
		{"127.0.0.1:9090/api/v1/write", "want an http:// or https:// URL"},
		{"ftp://host/api/v1/write", "want an http:// or https:// URL"},
		{"http:///api/v1/write", "want an http:// or https:// URL"},
		{"https://user:secret@host", "name the receiver's path"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			err := CheckURL(tc.url)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("CheckURL = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("CheckURL = %v, want an error saying %q", err, tc.want)
			case err != nil && strings.Contains(err.Error(), "secret"):
				t.Errorf("CheckURL = %v: it shows the password", err)
			}
		})
	}
}

func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:9090/api/v1/write", "https://u:p@h/x", "http://[::1]:9/w", "%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if err := CheckURL(raw); err == nil {
			if _, err := remote.NewAPI(raw, remote.WithAPIPath("")); err != nil {
				t.Errorf("CheckURL accepts %q, the client refuses it: %v", raw, err)
			}
		}
	})
}

// TestBatchesNeverShareAMillisecond: two gathers within one millisecond
// (a periodic one, then Close's final one) would give a series two
// samples at one time, which Prometheus refuses; each batch is stamped
// after the last.
func TestBatchesNeverShareAMillisecond(t *testing.T) {
	w := &Writer{}
	at := time.Date(2026, 12, 7, 12, 0, 0, 500_000, time.UTC) // half a millisecond in
	first := w.stamp(at)
	second := w.stamp(at.Add(200 * time.Microsecond)) // the same millisecond
	third := w.stamp(at.Add(-time.Second))            // a clock that stepped back
	if !second.After(first) || !third.After(second) {
		t.Errorf("stamps %v, %v, %v: want each after the last", first, second, third)
	}
	if second.UnixMilli() != first.UnixMilli()+1 || third.UnixMilli() != second.UnixMilli()+1 {
		t.Errorf("stamps %d, %d, %d ms: want one millisecond apart", first.UnixMilli(), second.UnixMilli(), third.UnixMilli())
	}
	later := at.Add(time.Second)
	if got := w.stamp(later); !got.Equal(later.Truncate(time.Millisecond)) {
		t.Errorf("a later gather stamped %v, want its own time %v", got, later.Truncate(time.Millisecond))
	}
}
