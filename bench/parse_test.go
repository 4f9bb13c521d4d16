package main

import (
	"strings"
	"testing"
	"time"
)

const wrkOutput = `Running 10s test @ http://127.0.0.1:34251/
  2 threads and 100 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     5.12ms    3.01ms  48.95ms   83.12%
    Req/Sec     9.36k     1.02k   12.11k    70.50%
  186747 requests in 10.09s, 23.15MB read
Requests/sec:  18508.12
Transfer/sec:      2.29MB
`

func TestParseWrk(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    wrkFigures
		wantErr bool
	}{
		{"clean run", wrkOutput, wrkFigures{requests: 186747, elapsed: 10090 * time.Millisecond}, false},
		{"errors counted", wrkOutput + "  Socket errors: connect 0, read 3, write 1, timeout 2\nNon-2xx or 3xx responses: 7\n",
			wrkFigures{requests: 186747, elapsed: 10090 * time.Millisecond, errors: 13}, false},
		{"minutes", "  5 requests in 1.00m, 1KB read\n", wrkFigures{requests: 5, elapsed: time.Minute}, false},
		{"latency distribution", "  Latency Distribution\n     50%  203.00us\n     75%    5.12ms\n     90%  200.10ms\n     99%    1.02s\n  5 requests in 1.00s, 1KB read\n",
			wrkFigures{requests: 5, elapsed: time.Second, p50: 203 * time.Microsecond, p99: 1020 * time.Millisecond}, false},
		{"bad latency", "     50%  fast\n  5 requests in 1.00s, 1KB read\n", wrkFigures{}, true},
		{"no summary", "Running 10s test\n", wrkFigures{}, true},
		{"bad count", "  x requests in 1.00s, 1KB read\n", wrkFigures{}, true},
		{"bad duration", "  5 requests in forever, 1KB read\n", wrkFigures{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWrk([]byte(tt.out))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseWrk(f *testing.F) {
	f.Add([]byte(wrkOutput))
	f.Add([]byte("  1 requests in 1s,\nSocket errors: connect 1, read x\nNon-2xx or 3xx responses: 2\n"))
	f.Fuzz(func(t *testing.T, out []byte) {
		w, err := parseWrk(out)
		if err == nil && w.elapsed <= 0 {
			t.Fatalf("parsed %+v with no duration", w)
		}
	})
}

func TestParseTruth(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    serverTruth
		wantErr bool
	}{
		{"no stall", "5000000 200000000 201000000 1200 0\n",
			serverTruth{p50: 5 * time.Millisecond, p95: 200 * time.Millisecond, p99: 201 * time.Millisecond, count: 1200}, false},
		{"stall armed", "1 2 3 4 1700000000000000000", serverTruth{p50: 1, p95: 2, p99: 3, count: 4, stallAt: time.Unix(0, 1700000000000000000)}, false},
		{"too few fields", "1 2 3 4", serverTruth{}, true},
		{"negative", "1 2 -3 4 0", serverTruth{}, true},
		{"not a number", "1 2 x 4 0", serverTruth{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTruth(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func FuzzParseTruth(f *testing.F) {
	f.Add("5000000 200000000 201000000 1200 0")
	f.Add("1 2 3 4 99999999999")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTruth(s)
		if err == nil && (got.p50 < 0 || got.count < 0) {
			t.Fatalf("parsed negative figures %+v", got)
		}
	})
}

func TestMemoryLineRoundTrip(t *testing.T) {
	want := memoryFigures{results: 10_000_000, peakHeap: 10 << 20, liveHeap: 9 << 20, peakRSS: 25 << 20, elapsed: 11 * time.Second}
	got, err := parseMemoryLine(want.memoryLine())
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, bad := range []string{"", "results=1", "results=x peak_heap=1 live_heap=1 peak_rss=1 elapsed_ns=1", "results peak_heap=1"} {
		if _, err := parseMemoryLine(bad); err == nil {
			t.Errorf("parseMemoryLine(%q) = nil error", bad)
		}
	}
}

func FuzzParseMemoryLine(f *testing.F) {
	f.Add(memoryFigures{results: 1, peakHeap: 2, liveHeap: 3, peakRSS: 4, elapsed: 5}.memoryLine())
	f.Add("results=1 results=2 x=3")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseMemoryLine(s)
		if err != nil {
			return
		}
		again, err := parseMemoryLine(got.memoryLine())
		if err != nil || again != got {
			t.Fatalf("round trip of %+v: %+v, %v", got, again, err)
		}
	})
}

func TestParseStatCPU(t *testing.T) {
	tests := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr bool
	}{
		{"plain", "1234 (bench) S 1 1234 1234 0 -1 4194560 100 0 0 0 150 25 0 0 20 0 5 0 100 0 0", 175 * clockTick, false},
		{"spaces and parens in the name", "1234 (a (b) c) R 1 1234 1234 0 -1 0 0 0 0 0 7 3 0 0", 10 * clockTick, false},
		{"short", "1234 (x) S 1 2", 0, true},
		{"no name", "1234 x S", 0, true},
		{"not a number", "1 (x) S 1 1 1 0 -1 0 0 0 0 0 u 3", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU(tt.stat)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func FuzzParseStatCPU(f *testing.F) {
	f.Add("1234 (bench) S 1 1234 1234 0 -1 4194560 100 0 0 0 150 25 0 0")
	f.Add("1 () ) 2 3")
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseStatCPU(s); err == nil && d < 0 {
			t.Fatalf("negative CPU %s", d)
		}
	})
}

// verdictLog is `make loadtest` as it prints, stamped.
func verdictLog() ([]stampedLine, time.Duration) {
	at := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	text := []struct {
		at   float64
		line string
	}{
		{0.01, "go build -o bin/ ./cmd/..."},
		{10, "bin/loadtest run --suite default --out /tmp/x --provider auto --target-bin bin/target"},
		{10.2, "16:03:56 stack: provider auto: using docker"},
		{10.3, "16:03:56 loadtest: starting the stack: 3 instance(s)"},
		{22, "16:04:08 loadtest: stack ready in 11.787s at http://127.0.0.1:32884"},
		{22.1, "16:04:08 loadtest: uploads: setup phase started (50 users)"},
		{22.3, "16:04:08 loadtest: uploads: setup phase ended: 50 requests in 152ms"},
		{22.3, "16:04:08 loadtest: uploads: warm-up phase started (50 users)"},
		{25.3, "16:04:11 loadtest: uploads: warm-up phase ended: 609 requests in 3.218s"},
		{25.4, "16:04:11 loadtest: uploads: main phase started (50 users)"},
		{30, "uploads        5s/8s  requests 800"},
		{45.4, "16:04:31 loadtest: uploads: main phase ended: 3973 requests in 20.013s"},
		{46, "16:04:32 loadtest: map-views: main phase started (100 users)"},
		{56, "16:04:42 loadtest: map-views: main phase ended: 4500 requests in 10s"},
		{56.5, "SCENARIO   GATE                       MEASURED  THRESHOLD  MARGIN   RESULT"},
		{56.6, "VERDICT: PASS"},
		{60, "summary: /tmp/x/summary.json"},
	}
	lines := make([]stampedLine, len(text))
	for i, l := range text {
		lines[i] = stampedLine{at: at(l.at), text: l.line}
	}
	return lines, at(60.1)
}

func TestParseVerdictLog(t *testing.T) {
	lines, total := verdictLog()
	phases, err := parseVerdictLog(lines, total)
	if err != nil {
		t.Fatal(err)
	}
	var sum time.Duration
	took := func(prefix string) time.Duration {
		for _, p := range phases {
			if strings.HasPrefix(p.name, prefix) {
				return p.took
			}
		}
		t.Errorf("no phase %q in %v", prefix, phases)
		return 0
	}
	for _, p := range phases {
		sum += p.took
	}
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	tests := []struct {
		prefix string
		want   time.Duration
	}{
		{"build", 10 * time.Second},
		{"stack up", 12 * time.Second},
		{"before the first scenario", ms(100)},
		{"scenarios: setup", ms(200)},
		{"scenarios: warm-up", 3 * time.Second},
		{"scenarios: measured", 30 * time.Second},
		{"scenarios: between", ms(700)},
		{"reports", ms(500)},
		{"verdict table", ms(100)},
		{"tear-down", ms(3400)},
		{"exit", ms(100)},
	}
	for _, tt := range tests {
		if d := took(tt.prefix) - tt.want; d > time.Millisecond || d < -time.Millisecond {
			t.Errorf("%s: got %s, want %s", tt.prefix, took(tt.prefix), tt.want)
		}
	}
	if d := sum - total; d > time.Millisecond || d < -time.Millisecond {
		t.Errorf("phases add up to %s, want the total %s", sum, total)
	}
	if _, err := parseVerdictLog(lines[:3], total); err == nil {
		t.Error("a log without scenario phases parsed")
	}
}

func FuzzParseVerdictLog(f *testing.F) {
	lines, _ := verdictLog()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	f.Add(b.String())
	f.Add("bin/loadtest run\nloadtest: a: main phase ended\nloadtest: a: main phase started\n")
	f.Fuzz(func(t *testing.T, log string) {
		var lines []stampedLine
		for i, text := range strings.Split(log, "\n") {
			lines = append(lines, stampedLine{at: time.Duration(i) * time.Second, text: text})
		}
		total := time.Duration(len(lines)) * time.Second
		phases, err := parseVerdictLog(lines, total)
		if err != nil {
			return
		}
		var sum time.Duration
		for _, p := range phases {
			if p.took < 0 {
				t.Fatalf("phase %q took %s", p.name, p.took)
			}
			sum += p.took
		}
		if sum > total {
			t.Fatalf("phases add up to %s, over the total %s", sum, total)
		}
	})
}

func TestMakeErrorLine(t *testing.T) {
	tests := []struct {
		line string
		want string
	}{
		{"make: *** [Makefile:31: loadtest] Error 1", "1"},
		{"make[1]: *** [Makefile:31: loadtest] Error 3", "3"},
		{"make: *** [Makefile:20: build] Error 1", ""},
	}
	for _, tt := range tests {
		got := ""
		if m := reMakeError.FindStringSubmatch(tt.line); m != nil {
			got = m[2]
		}
		if got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestParseAddNS(t *testing.T) {
	tests := []struct {
		name    string
		out     string
		want    [2]float64
		wantErr bool
	}{
		{"both rates", "goos: linux\nBenchmarkAggregateAddInOrder/rate=1000-2         \t 3746090\t       317.0 ns/op\t      30 B/op\t       0 allocs/op\n" +
			"BenchmarkAggregateAddInOrder/rate=10000-2        \t 4369838\t       227.1 ns/op\t       7 B/op\t       0 allocs/op\nPASS\n", [2]float64{317, 227.1}, false},
		{"no GOMAXPROCS suffix", "BenchmarkAggregateAddInOrder/rate=1000 \t 10\t 300 ns/op\nBenchmarkAggregateAddInOrder/rate=10000 \t 10\t 200 ns/op\n", [2]float64{300, 200}, false},
		{"median of three", "BenchmarkAggregateAddInOrder/rate=1000-2 \t 10\t 300 ns/op\nBenchmarkAggregateAddInOrder/rate=1000-2 \t 10\t 900 ns/op\nBenchmarkAggregateAddInOrder/rate=1000-2 \t 10\t 310 ns/op\n" +
			"BenchmarkAggregateAddInOrder/rate=10000-2 \t 10\t 200 ns/op\n", [2]float64{310, 200}, false},
		{"one rate missing", "BenchmarkAggregateAddInOrder/rate=1000-2 \t 10\t 300 ns/op\n", [2]float64{}, true},
		{"other benchmarks only", "BenchmarkAggregateAdd-2 \t 10\t 300 ns/op\n", [2]float64{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAddNS(tt.out)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if !tt.wantErr && got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzParseAddNS(f *testing.F) {
	f.Add("BenchmarkAggregateAddInOrder/rate=1000-2 \t 10\t 300 ns/op\nBenchmarkAggregateAddInOrder/rate=10000-2 \t 10\t 200 ns/op\n")
	f.Add("BenchmarkAggregateAddInOrder/rate=1000-2 1 1e999 ns/op")
	f.Fuzz(func(t *testing.T, s string) {
		if ns, err := parseAddNS(s); err == nil && (ns[0] < 0 || ns[1] < 0) {
			t.Fatalf("negative figures %v", ns)
		}
	})
}
