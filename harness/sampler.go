package harness

import (
	"bufio"
	"context"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"loadharness/harness/stack"
	"loadharness/reports"
)

// DefaultSampleInterval is how often the target's own metrics are read for
// the charts. Every reading is a few HTTP requests per instance, so it is
// kept coarser than the per-second results.
const DefaultSampleInterval = 2 * time.Second

// redisAddresser is implemented by stacks whose Redis the harness can reach
// (the process stack); its INFO goes on the target chart.
type redisAddresser interface {
	RedisAddr() string
}

// targetSampler reads the target's gauges and counters (and Redis's
// clients and memory when reachable) on a ticker until stopped. Each
// reading goes to the scenario's counter window (track), so that a counter
// of an instance killed mid-scenario counts up to its last reading; when
// keep is set, it also goes into a bounded series for the charts: one
// sample per interval, so hours of run stay small.
type targetSampler struct {
	stop    context.CancelFunc
	done    chan struct{}
	keep    bool
	mu      sync.Mutex
	tracker *counterIncrease
	samples []reports.TargetSample
}

// track sends the readings from now on to c (nil: to no window).
func (s *targetSampler) track(c *counterIncrease) {
	s.mu.Lock()
	s.tracker = c
	s.mu.Unlock()
}

// startTargetSampler starts sampling stack every interval, keeping the
// samples for charts when keep is set.
func startTargetSampler(ctx context.Context, st stack.Stack, workers int, interval time.Duration, keep bool) *targetSampler {
	ctx, cancel := context.WithCancel(ctx)
	s := &targetSampler{stop: cancel, done: make(chan struct{}), keep: keep}
	scrape := newScraper(workers)
	redisAddr := ""
	if r, ok := st.(redisAddresser); ok {
		redisAddr = r.RedisAddr()
	}
	go func() {
		defer close(s.done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			m := scrape.Scrape(ctx, st.MetricsURLs())
			s.mu.Lock()
			tracker := s.tracker
			s.mu.Unlock()
			if tracker != nil && ctx.Err() == nil {
				tracker.observe(m)
			}
			if !s.keep {
				continue
			}
			values := make(map[string]float64, len(m.Values)+2)
			for name, v := range m.Values {
				if strings.HasPrefix(name, "target_") {
					values[name] = v
				}
			}
			if redisAddr != "" {
				for name, v := range redisInfo(redisAddr) {
					values[name] = v
				}
			}
			if len(values) == 0 {
				continue
			}
			s.mu.Lock()
			s.samples = append(s.samples, reports.TargetSample{At: time.Now(), Values: values})
			s.mu.Unlock()
		}
	}()
	return s
}

// Stop ends sampling and returns the series.
func (s *targetSampler) Stop() []reports.TargetSample {
	s.stop()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples
}

// redisInfo reads connected clients and used memory from INFO, under the
// names the target chart draws; nothing when Redis does not answer.
func redisInfo(addr string) map[string]float64 {
	conn, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
	if err != nil {
		return nil
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := conn.Write([]byte("INFO\r\n")); err != nil {
		return nil
	}
	fields := map[string]string{
		"connected_clients": "redis_connected_clients",
		"used_memory":       "redis_used_memory_bytes",
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(conn)
	for sc.Scan() && len(out) < len(fields) {
		key, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if name, want := fields[key]; ok && want {
			if v, err := strconv.ParseFloat(value, 64); err == nil {
				out[name] = v
			}
		}
	}
	return out
}
