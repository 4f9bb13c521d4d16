// Command target is the reference service the load harness tests: a small
// data web application (login, CSV upload, choropleth maps) that runs in the
// seed's "before" shape (one worker, local sessions) or its "after" shape
// (N preforked workers, sessions and data sets in Redis), plus the load
// balancer that fronts several instances.
//
//	target serve --listen 127.0.0.1:8080 --redis-addr 127.0.0.1:6379 --workers 4
//	target lb --listen 127.0.0.1:8000 --backends http://127.0.0.1:8080,http://127.0.0.1:8081
//	target version
//
// Every flag can also come from the environment as TARGET_<FLAG> with dashes
// as underscores (TARGET_REDIS_ADDR); a flag on the command line wins.
//
// Exit codes: 0 clean shutdown, 1 runtime failure, 2 bad flags.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// errUsage marks a problem with the command line; its message was printed.
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a subcommand and maps its error to an exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: target serve|lb|version [flags]; target <command> -h for flags")
		return exitUsage
	}
	// SIGTERM and SIGINT become a cancel: in-flight requests finish, bounded
	// by the shutdown timeout. SIGKILL needs nothing from us.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()

	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr)
	case "lb":
		err = loadBalance(ctx, args[1:], stderr)
	case "version":
		fmt.Fprintln(stdout, versionString())
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, "usage: target serve|lb|version [flags]; target <command> -h for flags")
	default:
		fmt.Fprintf(stderr, "target: unknown command %q (want serve, lb or version)\n", args[0])
		return exitUsage
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errUsage):
		return exitUsage
	default:
		fmt.Fprintf(stderr, "target: %v\n", err)
		return exitFailure
	}
}
