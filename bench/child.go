package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"
)

// child is a copy of this program running one role (the server, one memory
// measurement) in its own process, so that its CPU and memory are its own.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// startChild runs this program with args and returns once it is running;
// the command line is printed first.
func startChild(ctx context.Context, args ...string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = 5 * time.Second
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	printCommand(append([]string{"bench"}, args...))
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start child: %w", err)
	}
	return &child{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}, nil
}

// line reads the child's next line of output, without its newline.
func (c *child) line() (string, error) {
	s, err := c.out.ReadString('\n')
	if err != nil && s == "" {
		return "", fmt.Errorf("child output: %w", err)
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// stop closes the child's stdin, which tells it to exit, and waits.
func (c *child) stop() error {
	_ = c.stdin.Close()
	_, _ = io.Copy(io.Discard, c.out)
	if err := c.cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("child %s: %w", c.cmd.Args[1], err)
		}
		return fmt.Errorf("child: %w", err)
	}
	return nil
}

// startServer starts the bench server in a child process and returns its
// base URL.
func startServer(ctx context.Context) (*child, string, error) {
	c, err := startChild(ctx, "serve")
	if err != nil {
		return nil, "", err
	}
	l, err := c.line()
	if err != nil {
		_ = c.stop()
		return nil, "", fmt.Errorf("start server: %w", err)
	}
	addr, ok := strings.CutPrefix(l, "listening ")
	if !ok {
		_ = c.stop()
		return nil, "", fmt.Errorf("start server: unexpected line %q", l)
	}
	return c, "http://" + addr, nil
}
