package promql_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"loadharness/harness/promql"
)

func TestSteps(t *testing.T) {
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		window time.Duration
		step   time.Duration
		points int
	}{
		{"a few seconds, one a second", 5 * time.Second, time.Second, 6},
		{"uneven seconds, evenly cut", 4500 * time.Millisecond, 900 * time.Millisecond, 6},
		{"a minute", time.Minute, time.Second, 61},
		{"an hour, at most 200 steps", time.Hour, 18 * time.Second, 201},
		{"under a second", 300 * time.Millisecond, 300 * time.Millisecond, 2},
		{"no length", 0, promql.MinStep, 1},
		{"backwards", -time.Second, promql.MinStep, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end := start.Add(tt.window)
			from, step := promql.Steps(start, end)
			if step != tt.step {
				t.Errorf("step = %v, want %v", step, tt.step)
			}
			if from.Before(start) && tt.window > 0 {
				t.Errorf("from %v is before the window's start %v", from, start)
			}
			points := 1
			if tt.window > 0 {
				points = int(end.Sub(from)/step) + 1
				if got := from.Add(time.Duration(points-1) * step); !got.Equal(end) {
					t.Errorf("last instant %v, want the window's end %v", got, end)
				}
			}
			if points != tt.points {
				t.Errorf("%d instants, want %d", points, tt.points)
			}
		})
	}
}

// fakePrometheus answers /api/v1/query_range with a fixed body and records
// what it was asked.
type fakePrometheus struct {
	mu     sync.Mutex
	status int
	body   string
	asked  url.Values
}

func (f *fakePrometheus) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	f.asked = r.Form
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.status)
	fmt.Fprint(w, f.body)
}

func mustClient(tb testing.TB, rawURL string) *promql.Client {
	tb.Helper()
	c, err := promql.New(rawURL)
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestRange(t *testing.T) {
	f := &fakePrometheus{status: http.StatusOK, body: `{"status":"success","data":{"resultType":"matrix","result":[
		{"metric":{"instance":"a"},"values":[[1796637600,"0.5"],[1796637601,"0.7"]]},
		{"metric":{"instance":"b"},"values":[[1796637600,"NaN"],[1796637601,"+Inf"]]}]}}`}
	srv := httptest.NewServer(f)
	defer srv.Close()
	start := time.Unix(1796637600, 0)
	series, warnings, err := mustClient(t, srv.URL).Range(context.Background(), "up", start, start.Add(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings %v, want none", warnings)
	}
	if got, want := len(series), 2; got != want {
		t.Fatalf("%d series, want %d", got, want)
	}
	if got, want := series[0].Labels, `{instance="a"}`; got != want {
		t.Errorf("labels %q, want %q", got, want)
	}
	values := promql.Values(series)
	if got, want := fmt.Sprint(values), "[0.5 0.7 NaN +Inf]"; got != want {
		t.Errorf("values %s, want %s", got, want)
	}
	if got, want := series[0].Points[1].At, start.Add(time.Second); !got.Equal(want) {
		t.Errorf("second point at %v, want %v", got, want)
	}
	f.mu.Lock()
	asked := f.asked
	f.mu.Unlock()
	for key, want := range map[string]string{"query": "up", "start": "1796637600", "end": "1796637605", "step": "1"} {
		if got := asked.Get(key); got != want {
			t.Errorf("asked %s=%q, want %q", key, got, want)
		}
	}
}

func TestRangeErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"refused query", http.StatusBadRequest, `{"status":"error","errorType":"bad_data","error":"1:6: parse error: unexpected right parenthesis ')'"}`, "parse error"},
		{"not a matrix", http.StatusOK, `{"status":"success","data":{"resultType":"vector","result":[]}}`, "not a matrix"},
		{"server error", http.StatusServiceUnavailable, `{"status":"error","errorType":"unavailable","error":"starting"}`, "503"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(&fakePrometheus{status: tt.status, body: tt.body})
			defer srv.Close()
			now := time.Now()
			_, _, err := mustClient(t, srv.URL).Range(context.Background(), "x", now.Add(-time.Minute), now)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), srv.URL) {
				t.Errorf("Range = %v, want an error naming %s and holding %q", err, srv.URL, tt.want)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close() // its port now refuses connections
		now := time.Now()
		if _, _, err := mustClient(t, srv.URL).Range(context.Background(), "x", now.Add(-time.Minute), now); err == nil {
			t.Error("Range on a closed port succeeded")
		}
	})
}

func TestNewRefusesBadURLs(t *testing.T) {
	for _, raw := range []string{"", "127.0.0.1:9090", "ftp://x", "http://", "http://[::1"} {
		if _, err := promql.New(raw); err == nil {
			t.Errorf("New(%q) succeeded", raw)
		}
	}
}

// targetsServer answers /api/v1/targets with one active target whose last
// scrape moves to scrapedAt once asked `after` times.
type targetsServer struct {
	mu        sync.Mutex
	asked     int
	after     int
	before    time.Time
	scrapedAt time.Time
	interval  string
}

func (s *targetsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.asked++
	last := s.before
	if s.asked > s.after {
		last = s.scrapedAt
	}
	s.mu.Unlock()
	fmt.Fprintf(w, `{"status":"success","data":{"activeTargets":[{"discoveredLabels":{"__scrape_interval__":%s},
		"labels":{"job":"t"},"scrapeUrl":"http://127.0.0.1:1/metrics","lastScrape":%s,"health":"up"}],"droppedTargets":[]}}`,
		strconv.Quote(s.interval), strconv.Quote(last.Format(time.RFC3339Nano)))
}

func TestAwaitScrapes(t *testing.T) {
	end := time.Now()
	tests := []struct {
		name     string
		server   *targetsServer
		late     bool
		minAsked int
		within   time.Duration
	}{
		{"already scraped", &targetsServer{after: 0, scrapedAt: end.Add(time.Millisecond), interval: "1s"}, false, 1, time.Second},
		{"scraped on the third look", &targetsServer{after: 2, before: end.Add(-time.Second), scrapedAt: end.Add(100 * time.Millisecond), interval: "1s"}, false, 3, 2 * time.Second},
		{"never scraped: two intervals at most", &targetsServer{after: 1 << 30, before: end.Add(-time.Second), interval: "300ms"}, true, 2, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.server)
			defer srv.Close()
			began := time.Now()
			late, err := mustClient(t, srv.URL).AwaitScrapes(context.Background(), end)
			took := time.Since(began)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(late) > 0; got != tt.late {
				t.Errorf("late = %v, want late %v", late, tt.late)
			}
			tt.server.mu.Lock()
			asked := tt.server.asked
			tt.server.mu.Unlock()
			if asked < tt.minAsked || took > tt.within {
				t.Errorf("asked %d times in %v, want at least %d within %v", asked, took, tt.minAsked, tt.within)
			}
		})
	}
	t.Run("ctx ends the wait", func(t *testing.T) {
		srv := httptest.NewServer(&targetsServer{after: 1 << 30, before: end.Add(-time.Second), interval: "1h"})
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		began := time.Now()
		late, err := mustClient(t, srv.URL).AwaitScrapes(ctx, time.Now())
		if err != nil || len(late) != 1 || time.Since(began) > 2*time.Second {
			t.Errorf("AwaitScrapes = %v, %v after %v, want the one target late, soon after ctx ended", late, err, time.Since(began))
		}
	})
}
