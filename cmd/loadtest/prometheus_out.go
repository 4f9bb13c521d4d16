package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"loadharness/harness"
	"loadharness/reports"
	"loadharness/reports/promout"
)

// remoteWriteCloseTimeout bounds the final send of the remote writer once
// the run has ended: the run's own figures are written whatever becomes of
// it.
const remoteWriteCloseTimeout = 10 * time.Second

// newRunID names a run for the run_id label of its metrics: its start in
// UTC, which sorts runs in time, and a random suffix, which tells apart two
// runs started in one second (the shards of a run, say).
func newRunID(start time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return start.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// checkRunID refuses a --run-id that would not sit well in a label, a file
// name or a URL: 1..64 letters, digits, '.', '_' or '-'.
func checkRunID(id string) error {
	ok := len(id) >= 1 && len(id) <= 64
	for _, r := range id {
		ok = ok && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-')
	}
	if !ok {
		return fmt.Errorf("--run-id %q: want 1..64 letters, digits, '.', '_' or '-'", id)
	}
	return nil
}

// liveFlags are --prometheus-listen, --remote-write and
// --remote-write-interval.
type liveFlags struct {
	listen, remoteWrite string
	interval            time.Duration
	intervalSet         bool
}

// check checks the flags before anything starts.
func (f liveFlags) check() error {
	var errs []error
	if f.listen != "" {
		if err := checkListenAddr(f.listen); err != nil {
			errs = append(errs, fmt.Errorf("--prometheus-listen: %w", err))
		}
	}
	if f.remoteWrite != "" {
		if err := promout.CheckURL(f.remoteWrite); err != nil {
			errs = append(errs, fmt.Errorf("--remote-write: %w", err))
		}
	}
	if f.intervalSet {
		switch {
		case f.remoteWrite == "":
			errs = append(errs, errors.New("--remote-write-interval goes with --remote-write URL"))
		case f.interval <= 0:
			errs = append(errs, fmt.Errorf("--remote-write-interval %v: want a positive duration", f.interval))
		}
	}
	return errors.Join(errs...)
}

// checkListenAddr checks a HOST:PORT to listen on: a port number, and a
// host that is empty (every interface) or an address or a name.
func checkListenAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q: want HOST:PORT, such as 127.0.0.1:9464: %w", addr, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n > 65535 {
		return fmt.Errorf("%q: port %q is not a number from 0 to 65535", addr, port)
	}
	return nil
}

// liveMetrics serves and pushes a run's metrics while it runs, as the flags
// ask; a nil *liveMetrics does nothing, so a run without the flags is as it
// was.
type liveMetrics struct {
	exporter *promout.Exporter
	server   *http.Server
	flags    liveFlags
	writer   *promout.Writer
}

// startLiveMetrics binds --prometheus-listen at once, so that an address in
// use stops the run before any load, and serves /metrics there (nothing of
// the load until the run's aggregate exists). It returns nil when neither
// flag is set.
func startLiveMetrics(run promout.Run, f liveFlags, logf func(string, ...any)) (*liveMetrics, error) {
	if f.listen == "" && f.remoteWrite == "" {
		return nil, nil
	}
	l := &liveMetrics{exporter: promout.NewExporter(run), flags: f}
	if f.listen == "" {
		return l, nil
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return nil, fmt.Errorf("--prometheus-listen: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", l.exporter.Handler())
	l.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = l.server.Serve(ln) }() // ErrServerClosed once close runs
	logf("live metrics of run %s for Prometheus at http://%s/metrics", run.ID, ln.Addr())
	return l, nil
}

// options hands the run's aggregate to the exporter.
func (l *liveMetrics) options() []harness.Option {
	if l == nil {
		return nil
	}
	return []harness.Option{harness.WithAggregate(l.exporter.Watch)}
}

// startRemoteWrite starts pushing to --remote-write; the stack is up and the
// load about to start.
func (l *liveMetrics) startRemoteWrite(logf func(string, ...any)) error {
	if l == nil || l.flags.remoteWrite == "" {
		return nil
	}
	w, err := l.exporter.RemoteWrite(l.flags.remoteWrite,
		promout.WithInterval(l.flags.interval), promout.WithLogf(logf))
	if err != nil {
		return fmt.Errorf("--remote-write: %w", err)
	}
	l.writer = w
	return nil
}

// finish sends the run's final figures to --remote-write, within
// remoteWriteCloseTimeout whatever ctx, and adds what did not reach the
// receiver to the summary's warnings: the receiver's copy is incomplete,
// the run and its verdict are not.
func (l *liveMetrics) finish(ctx context.Context, s *reports.Summary, logf func(string, ...any)) {
	if l == nil || l.writer == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), remoteWriteCloseTimeout)
	defer cancel()
	st := l.writer.Close(ctx)
	if w := st.Warning(); w != "" {
		s.Warnings = append(s.Warnings, w)
		logf("WARNING: %s", w)
		return
	}
	logf("remote write: %d samples sent to %s", st.Sent, st.Receiver)
}

// close stops serving --prometheus-listen.
func (l *liveMetrics) close() {
	if l == nil || l.server == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = l.server.Shutdown(ctx)
}
