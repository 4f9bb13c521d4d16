package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	"loadharness/harness/stack"
	"loadharness/harness/stack/docker"
	"loadharness/harness/stack/process"
	"loadharness/scenarios/suite"
)

// benchVerdict times `make loadtest` and breaks its wall time down, then
// times the stack's start and tear-down with each provider.
func benchVerdict(ctx context.Context, cfg config) error {
	if _, err := os.Stat("Makefile"); err != nil {
		return fmt.Errorf("run from the repository root (make bench does): %w", err)
	}
	out, err := os.MkdirTemp("", "bench-loadtest-")
	if err != nil {
		return fmt.Errorf("loadtest output: %w", err)
	}
	defer os.RemoveAll(out)
	args := []string{"make", "loadtest", "SUITE=" + cfg.suite, "OUT=" + out}
	printCommand(args)
	lines, total, exitErr, err := runStamped(ctx, args)
	if err != nil {
		return err
	}
	status := "loadtest exit 0"
	var ee *exec.ExitError
	if errors.As(exitErr, &ee) {
		// make exits 2 whatever failed; it names the recipe's own status.
		status = fmt.Sprintf("make exit %d", ee.ExitCode())
		for _, l := range lines {
			if m := reMakeError.FindStringSubmatch(l.text); m != nil {
				status = "loadtest exit " + m[2] + " (1: a gate failed, 2: harness error, 3: invalid run)"
			}
		}
	}
	for _, l := range lines {
		if reVerdict.MatchString(strings.TrimSpace(l.text)) {
			status += ", " + strings.TrimSpace(l.text)
		}
	}
	phases, err := parseVerdictLog(lines, total)
	if err != nil {
		for _, l := range lines {
			fmt.Fprintf(os.Stderr, "  %8.3fs %s\n", l.at.Seconds(), l.text)
		}
		return err
	}
	fmt.Printf("  time to verdict: %s (%s)\n", total.Round(100*time.Millisecond), status)
	for _, p := range phases {
		fmt.Printf("    %-55s %8.1fs  %5.1f%%\n", p.name, p.took.Seconds(), 100*p.took.Seconds()/total.Seconds())
	}
	used := ""
	for _, l := range lines {
		t := strings.TrimSpace(l.text)
		if m := reProviderUsed.FindStringSubmatch(t); m != nil {
			used = m[1]
		}
		if strings.Contains(t, "provider auto: using") || reStackReady.MatchString(t) || strings.HasPrefix(t, "WARNING:") ||
			(strings.HasSuffix(t, " FAIL") && !strings.HasPrefix(t, "VERDICT")) {
			fmt.Printf("    loadtest said: %s\n", t)
		}
	}
	return benchProviders(ctx, cfg, used)
}

// Lines of `make loadtest` that name its exit status and its provider.
var (
	reMakeError    = regexp.MustCompile(`make(\[\d+\])?: \*\*\* .*loadtest\] Error (\d+)`)
	reProviderUsed = regexp.MustCompile(`provider auto: using (\w+)`)
)

// runStamped runs args and returns its output lines (stdout and stderr
// together) stamped as they arrived, and how long it ran. exitErr is the
// command's own failure; err is a failure to run it at all.
func runStamped(ctx context.Context, args []string) (lines []stampedLine, total time.Duration, exitErr, err error) {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.WaitDelay = 10 * time.Second
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, 0, nil, fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	var mu sync.Mutex
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			mu.Lock()
			lines = append(lines, stampedLine{at: time.Since(start), text: sc.Text()})
			mu.Unlock()
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	exitErr = cmd.Wait()
	total = time.Since(start)
	pw.Close()
	<-done
	return lines, total, exitErr, nil
}

// benchProviders times how long the suite's stack takes to come up and go
// down with each provider that can run here, but for skip, whose start the
// loadtest just timed ("stack ready in").
func benchProviders(ctx context.Context, cfg config, skip string) error {
	s, err := suite.Load(cfg.suite)
	if err != nil {
		return err
	}
	shape := s.Stack
	fmt.Printf("\n  stack start per provider (%d instances x %d workers, sessions in %s):\n", shape.Instances, shape.Workers, shape.SessionStore)
	for _, name := range cfg.providers {
		dir, err := os.MkdirTemp("", "bench-stack-")
		if err != nil {
			return fmt.Errorf("stack directory: %w", err)
		}
		var p stack.Provider
		var call string
		name = strings.TrimSpace(name)
		if name == skip {
			os.RemoveAll(dir)
			fmt.Printf("    %-8s see \"stack ready in\" above: make loadtest used it\n", name)
			continue
		}
		switch name {
		case "process":
			bin, err := filepath.Abs(filepath.Join("bin", "target"))
			if err != nil {
				return err
			}
			p = &process.Provider{TargetBin: bin, Dir: dir}
			call = "process.Provider{TargetBin: bin/target}"
		case "docker":
			if !docker.Available(ctx) {
				os.RemoveAll(dir)
				fmt.Printf("    %-8s n/a: no Docker engine answers\n", name)
				continue
			}
			if !docker.ImagePresent(ctx, docker.DefaultTargetImage) || !docker.ImagePresent(ctx, docker.LocalRedisImage) {
				os.RemoveAll(dir)
				fmt.Printf("    %-8s n/a: images %s and %s are not built (make images)\n", name, docker.DefaultTargetImage, docker.LocalRedisImage)
				continue
			}
			p = &docker.Provider{RedisImage: docker.LocalRedisImage, TargetImage: docker.DefaultTargetImage, Dir: dir}
			call = "docker.Provider{RedisImage: " + docker.LocalRedisImage + ", TargetImage: " + docker.DefaultTargetImage + "}"
		default:
			os.RemoveAll(dir)
			continue
		}
		fmt.Printf("    (in process) %s.Start(ctx, the %s suite's stack), then Close\n", call, s.Name)
		began := time.Now()
		stack, err := p.Start(ctx, shape)
		up := time.Since(began)
		if err != nil {
			os.RemoveAll(dir)
			return fmt.Errorf("%s stack: %w", name, err)
		}
		began = time.Now()
		closeErr := stack.Close(context.WithoutCancel(ctx))
		down := time.Since(began)
		os.RemoveAll(dir)
		if closeErr != nil {
			return fmt.Errorf("%s stack: close: %w", name, closeErr)
		}
		fmt.Printf("    %-8s up %6.2fs   down %6.2fs\n", name, up.Seconds(), down.Seconds())
	}
	return nil
}
