package main

import (
	"testing"
	"time"
)

func TestNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i + 1)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		q      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"one", []time.Duration{7}, 99, 7},
		{"p50 of 1..100", hundred, 50, 50},
		{"p99 of 1..100", hundred, 99, 99},
		{"p100 of 1..100", hundred, 100, 100},
		{"p0 is the minimum", hundred, 0, 1},
		{"p95 of ten", hundred[:10], 95, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := nearestRank(tt.sorted, tt.q); got != tt.want {
				t.Errorf("got %d, want %d", got, tt.want)
			}
		})
	}
}

func TestStallTruth(t *testing.T) {
	at := time.Date(2025, 7, 29, 12, 0, 0, 0, time.UTC)
	// 100 requests due every 100ms from 1s before the stall: 10 of them
	// (at, at+100ms, ..., at+900ms) fall in the one-second stall.
	var due []time.Time
	for i := range 100 {
		due = append(due, at.Add(time.Duration(i-10)*100*time.Millisecond))
	}
	got := stallTruth(due, at, time.Second, time.Millisecond, 50, 90, 91, 99, 100)
	want := []time.Duration{time.Millisecond, time.Millisecond, 101 * time.Millisecond, 901 * time.Millisecond, 1001 * time.Millisecond}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("quantile %d: got %s, want %s", i, got[i], want[i])
		}
	}
}

func TestWithinAim(t *testing.T) {
	tests := []struct {
		name      string
		got, want time.Duration
		ok        bool
	}{
		{"exact", 5 * time.Millisecond, 5 * time.Millisecond, true},
		{"under 1ms off a short latency", 5*time.Millisecond + 900*time.Microsecond, 5 * time.Millisecond, true},
		{"over 1ms and 1% off", 7 * time.Millisecond, 5 * time.Millisecond, false},
		{"1% of a long latency", 202 * time.Millisecond, 200 * time.Millisecond, true},
		{"2% of a long latency", 204 * time.Millisecond, 200 * time.Millisecond, false},
		{"low side", 198 * time.Millisecond, 200 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := withinAim(tt.got, tt.want); got != tt.ok {
				t.Errorf("withinAim(%s, %s) = %v, want %v", tt.got, tt.want, got, tt.ok)
			}
		})
	}
}

func TestRatiosLine(t *testing.T) {
	tests := []struct {
		name string
		s    summary
		want string
	}{
		{"everything measured", summary{harnessRPS: 24000, vegetaRPS: 16000, wrkRPS: 40000, p99Error: 0.0034, p99Measured: true, heap10M: 10 << 20, heapMeasured: true},
			"ratios: harness/vegeta=1.50 harness/wrk=0.60 p99_error=0.3% heap_10M=10MiB"},
		{"no wrk", summary{harnessRPS: 24000, vegetaRPS: 16000, p99Error: 0.01, p99Measured: true, heap10M: 10<<20 + 600<<10, heapMeasured: true},
			"ratios: harness/vegeta=1.50 harness/wrk=n/a p99_error=1.0% heap_10M=11MiB"},
		{"nothing measured", summary{}, "ratios: harness/vegeta=n/a harness/wrk=n/a p99_error=n/a heap_10M=n/a"},
		{"lag and soak", summary{lagP99: 131071 * time.Nanosecond, lagMeasured: true, soakRSS: 1.18, soakMeasured: true},
			"ratios: harness/vegeta=n/a harness/wrk=n/a p99_error=n/a heap_10M=n/a lag_p99_us=131 soak_rss_end/start=1.18"},
		{"open and add", summary{openHarness: 24000, openVegeta: 12000, openRateHarness: 30000, openRateVegeta: 20000, addNS: [2]float64{301.4, 229.6}, addMeasured: true},
			"ratios: harness/vegeta=n/a harness/wrk=n/a p99_error=n/a heap_10M=n/a open/vegeta=2.00 open_rate/vegeta=1.50 add_ns=301/230"},
		{"open, vegeta held nothing, no lower rate tried", summary{openHarness: 24000, openRateHarness: 30000, openRateVegeta: 20000},
			"ratios: harness/vegeta=n/a harness/wrk=n/a p99_error=n/a heap_10M=n/a open/vegeta=n/a open_rate/vegeta=1.50"},
		{"open, vegeta held nothing down to 125/s: a lower bound", summary{openHarness: 10000, openVegetaFailed: 125, openRateHarness: 30000, openRateVegeta: 20000},
			"ratios: harness/vegeta=n/a harness/wrk=n/a p99_error=n/a heap_10M=n/a open/vegeta=>80.00 open_rate/vegeta=1.50"},
		{"open, neither held anything", summary{openVegetaFailed: 125, openRateHarness: 30000, openRateVegeta: 20000},
			"ratios: harness/vegeta=n/a harness/wrk=n/a p99_error=n/a heap_10M=n/a open/vegeta=n/a open_rate/vegeta=1.50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.ratiosLine(); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}
