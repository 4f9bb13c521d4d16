package main

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"loadharness"
	"loadharness/harness/rundir"
	"loadharness/harness/stack/external"
	"loadharness/reports"
)

// The shards of a distributed run send their run directories to `loadtest
// collect` over HTTP (run --push), which stores each, merges them once all
// have reported and judges the merged run: no volume is shared, so any
// cluster's storage will do.

// collectTokenEnv names the shared secret a collector asks of the shards,
// and the shards send, when it is set on both sides.
const collectTokenEnv = "LOADTEST_COLLECT_TOKEN"

// shardHeader carries I/N on each upload, so that a shard of a differently
// sized run is refused instead of merged.
const shardHeader = "Loadtest-Shard"

// MergedDir is where, under collect's --out, the merged run is written.
const mergedDir = "merged"

// shardDirName is where shard i's run directory is stored under --out.
func shardDirName(i int) string { return "shard-" + strconv.Itoa(i) }

func cmdCollect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest collect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: loadtest collect --shards N --out DIR [--listen ADDR] [--timeout D]")
		fmt.Fprintln(stderr, "Receives the run directories of N shards (loadtest run --shard I/N --push URL), stores them as")
		fmt.Fprintln(stderr, "DIR/shard-I, then merges them into DIR/merged and exits with the merged verdict's code.")
		fmt.Fprintf(stderr, "With %s set, every shard must send the same secret.\n", collectTokenEnv)
		fs.PrintDefaults()
	}
	listen := fs.String("listen", "127.0.0.1:9400", "address to receive the shards on (0.0.0.0:9400 in a cluster)")
	shards := fs.Int("shards", 0, "how many shards the run has (the N of --shard I/N)")
	outDir := fs.String("out", "", "directory for the shards' runs and the merged report")
	timeout := fs.Duration("timeout", 2*time.Hour, "give up when the shards have not all reported by then")
	limit := fs.Int64("max-bytes", rundir.DefaultTransferLimit, "the most one shard may send")
	quiet := fs.Bool("quiet", false, "do not print the verdict table")
	positional, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return flagExit(fs, err, stderr)
	}
	switch {
	case len(positional) > 0:
		fmt.Fprintf(stderr, "loadtest collect: unexpected argument %q\n", positional[0])
		return loadharness.ExitHarness
	case *shards < 1:
		fmt.Fprintln(stderr, "loadtest collect: --shards N is required (N ≥ 1)")
		return loadharness.ExitHarness
	case *outDir == "":
		fmt.Fprintln(stderr, "loadtest collect: --out DIR is required")
		return loadharness.ExitHarness
	case *timeout <= 0:
		fmt.Fprintln(stderr, "loadtest collect: --timeout must be positive")
		return loadharness.ExitHarness
	}
	if err := refuseCollectedOut(*outDir); err != nil {
		fmt.Fprintf(stderr, "loadtest collect: %v\n", err)
		return loadharness.ExitHarness
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest collect: --listen %s: %v\n", *listen, err)
		return loadharness.ExitHarness
	}
	c := &collector{out: *outDir, count: *shards, limit: *limit, token: os.Getenv(collectTokenEnv),
		received: map[int]bool{}, busy: map[int]bool{}, all: make(chan struct{})}
	fmt.Fprintf(stdout, "collect: waiting for %d shards on http://%s/shards/I (I from 0), storing them in %s\n", *shards, ln.Addr(), *outDir)
	srv := &http.Server{Handler: c.handler(func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }),
		ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	wait, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	select {
	case <-c.all:
	case <-wait.Done():
	case err := <-served:
		fmt.Fprintf(stderr, "loadtest collect: %v\n", err)
		return loadharness.ExitHarness
	}
	// Shutdown lets the last shard's upload get its answer before the
	// merge, which may take a while, begins.
	shutdown, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	srv.Shutdown(shutdown)
	stop()
	if missing := c.missing(); len(missing) > 0 {
		if ctx.Err() != nil {
			fmt.Fprintf(stderr, "loadtest collect: interrupted; shards %v never reported; the ones received stay in %s\n", missing, *outDir)
			return loadharness.ExitInterrupted
		}
		fmt.Fprintf(stderr, "loadtest collect: after %s, shards %v of %d never reported; the ones received stay in %s\n", *timeout, missing, *shards, *outDir)
		return loadharness.ExitHarness
	}
	inputs := make([]string, *shards)
	for i := range inputs {
		inputs[i] = filepath.Join(*outDir, shardDirName(i))
	}
	merged := filepath.Join(*outDir, mergedDir)
	summary, err := rundir.Report(ctx, inputs, merged)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest collect: merge: %v\n", err)
		return loadharness.ExitHarness
	}
	if !*quiet {
		if err := reports.WriteVerdictTable(stdout, summary); err != nil {
			fmt.Fprintf(stderr, "loadtest collect: %v\n", err)
		}
	}
	fmt.Fprintf(stdout, "report: %s\n", filepath.Join(merged, rundir.ReportHTMLFile))
	return loadharness.Judge(summary.Evidence()).ExitCode
}

// refuseCollectedOut refuses an --out that already holds a collected run:
// a new run's shards never land beside, or merge with, an old run's.
func refuseCollectedOut(dir string) error {
	held, _ := filepath.Glob(filepath.Join(dir, "shard-*"))
	if _, err := os.Stat(filepath.Join(dir, mergedDir)); err == nil {
		held = append(held, filepath.Join(dir, mergedDir))
	}
	if len(held) > 0 {
		return fmt.Errorf("--out %s already holds a collected run (%s): give a new directory", dir, filepath.Base(held[0]))
	}
	return os.MkdirAll(dir, 0o755)
}

// checkPush checks run's --push before any load: it needs --shard, and a
// URL the shard can send to.
func checkPush(url, shard string) error {
	if shard == "" {
		return errors.New("--push sends a shard's run to 'loadtest collect': it needs --shard I/N")
	}
	if err := external.CheckURL("--push", url); err != nil {
		return fmt.Errorf("%w: want the collector's base URL, such as http://collect:9400", err)
	}
	return nil
}

// collector stores each shard's upload once.
type collector struct {
	out   string
	count int
	limit int64
	token string

	mu       sync.Mutex
	received map[int]bool
	busy     map[int]bool // an upload of that shard is being stored
	all      chan struct{}
}

func (c *collector) handler(logf func(string, ...any)) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("PUT /shards/{index}", func(w http.ResponseWriter, r *http.Request) {
		if !c.authorized(r) {
			http.Error(w, "wrong or missing token ("+collectTokenEnv+")", http.StatusUnauthorized)
			return
		}
		i, err := c.index(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if status, err := c.claim(i); err != nil {
			http.Error(w, err.Error(), status)
			return
		}
		err = rundir.Unpack(r.Body, filepath.Join(c.out, shardDirName(i)), c.limit)
		done := c.release(i, err == nil)
		if err != nil {
			logf("collect: shard %d/%d refused: %v", i, c.count, err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		logf("collect: shard %d/%d received (%d of %d)", i, c.count, done, c.count)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "shard %d/%d stored\n", i, c.count)
	})
	mux.HandleFunc("GET /shards", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"shards": c.count, "missing": c.missing()})
	})
	return mux
}

func (c *collector) authorized(r *http.Request) bool {
	if c.token == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(c.token)) == 1
}

// index reads the shard's index from the path and checks it against the
// I/N it says it is.
func (c *collector) index(r *http.Request) (int, error) {
	i, err := strconv.Atoi(r.PathValue("index"))
	if err != nil || i < 0 || i >= c.count {
		return 0, fmt.Errorf("shard %q: want 0..%d", r.PathValue("index"), c.count-1)
	}
	if said := r.Header.Get(shardHeader); said != "" && said != fmt.Sprintf("%d/%d", i, c.count) {
		return 0, fmt.Errorf("shard says it is %s; this collector waits for shard %d of %d", said, i, c.count)
	}
	return i, nil
}

// claim reserves shard i for one upload at a time; a shard already stored
// is a conflict, never replaced.
func (c *collector) claim(i int) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.received[i]:
		return http.StatusConflict, fmt.Errorf("shard %d/%d: %w", i, c.count, rundir.ErrTransferExists)
	case c.busy[i]:
		return http.StatusConflict, fmt.Errorf("shard %d/%d: another upload of it is in progress", i, c.count)
	}
	c.busy[i] = true
	return 0, nil
}

// release ends shard i's upload and returns how many shards are stored.
func (c *collector) release(i int, stored bool) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.busy, i)
	if stored {
		c.received[i] = true
		if len(c.received) == c.count {
			close(c.all)
		}
	}
	return len(c.received)
}

func (c *collector) missing() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []int
	for i := range c.count {
		if !c.received[i] {
			out = append(out, i)
		}
	}
	return slices.Clip(out)
}

// pushRun sends the run directory dir, shard index of count, to a
// collector at base (collect's URL), trying a few times: a collector that
// restarts or a network that blips must not lose a shard that ran for an
// hour. A collector that already has the shard (409) counts as delivered
// only when this call's own earlier try may have stored it.
func pushRun(ctx context.Context, base string, index, count int, dir string, logf func(string, ...any)) error {
	url := strings.TrimSuffix(base, "/") + "/shards/" + strconv.Itoa(index)
	waits := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}
	var err error
	triedBefore := false
	for attempt := 0; ; attempt++ {
		var retry bool
		retry, err = pushOnce(ctx, url, index, count, dir)
		if err == nil {
			return nil
		}
		if errors.Is(err, errAlreadyStored) && triedBefore {
			logf("push: %s already had shard %d/%d: an earlier try stored it", base, index, count)
			return nil
		}
		if !retry || attempt == len(waits) {
			break
		}
		triedBefore = true
		logf("push: shard %d/%d to %s: %v; trying again in %s", index, count, base, err, waits[attempt])
		select {
		case <-ctx.Done():
			return fmt.Errorf("push shard %d/%d to %s: %w (last: %v)", index, count, base, ctx.Err(), err)
		case <-time.After(waits[attempt]):
		}
	}
	return fmt.Errorf("push shard %d/%d to %s: %w", index, count, base, err)
}

var errAlreadyStored = errors.New("the collector already has this shard")

// pushOnce makes one upload; retry says whether another try could help.
func pushOnce(ctx context.Context, url string, index, count int, dir string) (retry bool, err error) {
	body, pw := io.Pipe()
	go func() { pw.CloseWithError(rundir.Pack(ctx, dir, pw)) }()
	defer body.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, body)
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/gzip")
	req.Header.Set(shardHeader, fmt.Sprintf("%d/%d", index, count))
	if token := os.Getenv(collectTokenEnv); token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return ctx.Err() == nil, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	switch {
	case resp.StatusCode == http.StatusCreated:
		return false, nil
	case resp.StatusCode == http.StatusConflict && strings.Contains(string(msg), rundir.ErrTransferExists.Error()):
		return false, fmt.Errorf("%w: %s", errAlreadyStored, strings.TrimSpace(string(msg)))
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusConflict || resp.StatusCode == http.StatusTooManyRequests:
		return true, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
	default:
		return false, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
}
