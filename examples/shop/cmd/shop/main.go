// Command shop serves the example shop API (package loadharness/examples/shop),
// a stand-in for a user's own service to aim the harness at with
// --provider external.
//
//	shop --listen 127.0.0.1:8081 --accounts examples/shop/accounts.csv [--latency 5ms] [--wrong-status]
//
// It listens on loopback only: it exists to be load-tested, and load stays
// on this machine. SIGINT or SIGTERM shut it down gracefully; on the way out
// it prints its own counts (shop.Stats) as one JSON line on stderr, to hold
// against the harness's.
//
// Exit codes: 0 clean shutdown, 1 runtime failure, 2 bad flags.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"loadharness/examples/shop"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// shutdownTimeout bounds the wait for in-flight requests on shutdown.
const shutdownTimeout = 10 * time.Second

// maxLatency keeps --latency a delay, not a hang.
const maxLatency = time.Minute

// config is what the flags say.
type config struct {
	listen      string
	accounts    string
	latency     time.Duration
	wrongStatus bool
}

func main() {
	// Signals become a cancel here and nowhere else.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

// run serves until ctx ends and maps the outcome to an exit code.
func run(ctx context.Context, args []string, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return exitUsage
	}
	if err := serve(ctx, cfg, stderr); err != nil {
		fmt.Fprintf(stderr, "shop: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// parseFlags reads and checks the flags, printing every problem.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	cfg := config{listen: "127.0.0.1:8081", accounts: "examples/shop/accounts.csv"}
	fs := flag.NewFlagSet("shop", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.listen, "listen", cfg.listen, "loopback host:port to serve on")
	fs.StringVar(&cfg.accounts, "accounts", cfg.accounts, "CSV file of accounts (header email,password,name)")
	fs.DurationVar(&cfg.latency, "latency", 0, "delay added to every API request")
	fs.BoolVar(&cfg.wrongStatus, "wrong-status", false, `answer every 5th order 201 {"status":"rejected"}, a bug for the harness to catch`)
	if err := fs.Parse(args); err != nil {
		return cfg, err // flag has printed it
	}
	var problems []string
	if fs.NArg() > 0 {
		problems = append(problems, fmt.Sprintf("unexpected arguments %q", fs.Args()))
	}
	if err := checkLoopback(cfg.listen); err != nil {
		problems = append(problems, err.Error())
	}
	if cfg.latency < 0 || cfg.latency > maxLatency {
		problems = append(problems, fmt.Sprintf("--latency must be 0..%v, not %v", maxLatency, cfg.latency))
	}
	if cfg.accounts == "" {
		problems = append(problems, "--accounts is empty")
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "shop: %s\n", p)
		}
		return cfg, errors.New("bad flags")
	}
	return cfg, nil
}

// checkLoopback refuses a listen address that other machines could reach.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", addr, err)
	}
	if !isLoopback(host) {
		return fmt.Errorf("--listen %q: refusing a non-loopback address: this service is for load tests, and load stays on this machine (use 127.0.0.1, ::1 or localhost)", addr)
	}
	return nil
}

// isLoopback reports whether host is a loopback address or localhost. An
// empty host means every interface, so it is not.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// serve reads the accounts and serves the shop until ctx ends.
func serve(ctx context.Context, cfg config, stderr io.Writer) error {
	accounts, err := readAccountsFile(cfg.accounts)
	if err != nil {
		return err
	}
	var opts []shop.Option
	if cfg.latency > 0 {
		opts = append(opts, shop.WithLatency(cfg.latency))
	}
	if cfg.wrongStatus {
		opts = append(opts, shop.WithWrongStatus())
	}
	s := shop.New(accounts, opts...)

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", cfg.listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	// localhost could resolve to anything: check what was actually bound.
	if tcp, ok := ln.Addr().(*net.TCPAddr); !ok || !tcp.IP.IsLoopback() {
		_ = ln.Close()
		return fmt.Errorf("listen: %s is not a loopback address", ln.Addr())
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(stderr, "shop: serving %d accounts on http://%s (latency %v, wrong status %t)\n",
		len(accounts), ln.Addr(), cfg.latency, cfg.wrongStatus)

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err = srv.Shutdown(sctx)
	<-served // http.ErrServerClosed, now that Shutdown has begun
	stats, _ := json.Marshal(s.Stats())
	fmt.Fprintf(stderr, "shop: stopped; stats %s\n", stats)
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// readAccountsFile reads the accounts CSV at path.
func readAccountsFile(path string) ([]shop.Account, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	defer f.Close()
	accounts, err := shop.ReadAccounts(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return accounts, nil
}
