package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"loadharness/harness"
	"loadharness/harness/stack/process"
	"loadharness/scenarios"
	"loadharness/scenarios/suite"
)

// soakSuite is a steady open load the 2-core reference stack holds for as
// long as asked: 20 arrivals a second over a mix of views and uploads.
const soakSuite = `name: soak
description: A steady load held long enough to see the harness leak.
stack: {instances: 2, workers: 2, threads: 4, session_store: redis, dataset_store: redis}
gates: [setup_failed == 0, error_rate < 0.1%%, sessions_lost == 0]
scenarios:
  - name: soak
    users: 20
    rate: 20/s
    duration: %s
    setup: [login, upload]
    pick: weighted
    steps:
      - {name: map, weight: 6}
      - {name: dataset, weight: 3}
      - {name: upload, weight: 1}
`

// vitals are what a leak would grow in the harness's own process.
type vitals struct {
	at         time.Duration
	rssKiB     int
	goroutines int
	fds        int
}

func (v vitals) String() string {
	return fmt.Sprintf("rss=%.1fMiB goroutines=%d fds=%d", float64(v.rssKiB)/1024, v.goroutines, v.fds)
}

// readVitals reads this process's resident memory (VmRSS), goroutines and
// open file descriptors.
func readVitals(since time.Time) (vitals, error) {
	v := vitals{at: time.Since(since), goroutines: runtime.NumGoroutine()}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return v, fmt.Errorf("vitals: %w", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return v, fmt.Errorf("vitals: VmRSS line %q", line)
			}
			if v.rssKiB, err = strconv.Atoi(f[0]); err != nil {
				return v, fmt.Errorf("vitals: VmRSS: %w", err)
			}
		}
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return v, fmt.Errorf("vitals: %w", err)
	}
	v.fds = len(fds)
	return v, nil
}

// Flatness bounds: what the soak's end may exceed its start by, once the
// load has settled. RSS may grow by a quarter plus the raw writer's and the
// allocator's slack; goroutines and descriptors by a handful (a connection
// being redialled when the sample is taken).
const (
	soakRSSGrowth   = 1.25
	soakRSSSlackKiB = 8 << 10
	soakCountSlack  = 10
)

// flat says whether end stayed within the bounds of start, and if not, what grew.
func flat(start, end vitals) (bool, string) {
	var grew []string
	if float64(end.rssKiB) > float64(start.rssKiB)*soakRSSGrowth+soakRSSSlackKiB {
		grew = append(grew, fmt.Sprintf("rss %.1f→%.1fMiB", float64(start.rssKiB)/1024, float64(end.rssKiB)/1024))
	}
	if end.goroutines > start.goroutines+soakCountSlack {
		grew = append(grew, fmt.Sprintf("goroutines %d→%d", start.goroutines, end.goroutines))
	}
	if end.fds > start.fds+soakCountSlack {
		grew = append(grew, fmt.Sprintf("fds %d→%d", start.fds, end.fds))
	}
	return len(grew) == 0, strings.Join(grew, ", ")
}

// benchSoak holds a steady load on a process stack for cfg.soak with the
// harness in this process, its raw results streaming to a file as in a real
// run, and samples the process's RSS, goroutines and descriptors: the first
// sample after a minute of load (pools and buffers grown), the last just
// before the load ends, and idle before the stack and after its teardown.
func benchSoak(ctx context.Context, cfg config, sum *summary) error {
	bin, err := filepath.Abs(filepath.Join("bin", "target"))
	if err != nil {
		return err
	}
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("target binary: %w (make build)", err)
	}
	s, err := suite.Parse("soak.yaml", []byte(fmt.Sprintf(soakSuite, cfg.soak)))
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "bench-soak-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	began := time.Now()
	idleBefore, err := readVitals(began)
	if err != nil {
		return err
	}
	fmt.Printf("  (in process) harness.Run of a %s open load at 20/s on process.Provider{2×2×4}, raw results to a file\n", cfg.soak)
	st, err := harness.Up(ctx, &process.Provider{TargetBin: bin, Dir: dir}, s, false, func(string, ...any) {})
	if err != nil {
		return err
	}
	raw, err := os.Create(filepath.Join(dir, "results.json"))
	if err != nil {
		st.Close(context.Background())
		return err
	}
	loadStart := time.Now()
	samples := make(chan vitals, 64)
	sampleCtx, stopSampling := context.WithCancel(ctx)
	go func() {
		defer close(samples)
		every := time.NewTicker(min(time.Minute, cfg.soak/10))
		defer every.Stop()
		for {
			select {
			case <-sampleCtx.Done():
				return
			case <-every.C:
				if v, err := readVitals(loadStart); err == nil {
					samples <- v
				}
			}
		}
	}()
	res, runErr := harness.Run(ctx, s, st, harness.WithSink(scenarios.NewRawWriter(raw)))
	stopSampling()
	closeErr := raw.Close()
	st.Close(context.Background())
	if runErr != nil || closeErr != nil {
		return fmt.Errorf("soak run: %v, results: %v", runErr, closeErr)
	}
	runtime.GC()
	time.Sleep(time.Second) // connections of the torn-down stack closed
	idleAfter, err := readVitals(began)
	if err != nil {
		return err
	}
	var load []vitals
	for v := range samples {
		load = append(load, v)
		fmt.Printf("    at %-6s %s\n", v.at.Round(time.Second), v)
	}
	if len(load) < 2 {
		return fmt.Errorf("soak of %s took %d samples under load, want at least 2", cfg.soak, len(load))
	}
	start, end := load[0], load[len(load)-1]
	requests := 0
	for _, sc := range res.Summary.Scenarios {
		requests += sc.Requests
	}
	fmt.Printf("  load: %d requests in %s, verdict %s\n", requests, cfg.soak, res.Summary.Verdict)
	fmt.Printf("  under load, start (%s) → end (%s):\n    %s\n    %s\n", start.at.Round(time.Second), end.at.Round(time.Second), start, end)
	fmt.Printf("  idle, before the stack → after its teardown:\n    %s\n    %s\n", idleBefore, idleAfter)
	ok, grew := flat(start, end)
	// Idle, only counts compare: the heap the load grew is kept by the
	// runtime for a while after it.
	idleAfter.rssKiB = idleBefore.rssKiB
	okIdle, grewIdle := flat(idleBefore, idleAfter)
	sum.soakRSS = float64(end.rssKiB) / float64(start.rssKiB)
	sum.soakMeasured = true
	if !ok || !okIdle {
		return fmt.Errorf("not flat: %s", strings.Trim(grew+"; "+grewIdle, "; "))
	}
	fmt.Printf("  flat: rss end/start=%.2f, goroutines %+d, fds %+d under load; goroutines %+d, fds %+d idle\n",
		sum.soakRSS, end.goroutines-start.goroutines, end.fds-start.fds,
		idleAfter.goroutines-idleBefore.goroutines, idleAfter.fds-idleBefore.fds)
	return nil
}
