package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"loadharness"
	"loadharness/internal/suggest"
)

// parseFlagsAnywhere parses flags given before, between and after the
// positional arguments ("loadtest run FILE --target URL"), which flag.Parse
// alone stops at, and returns the positional ones. Everything after "--"
// is positional.
func parseFlagsAnywhere(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(positional, rest...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}

// flagExit is the exit code of a command whose flags did not parse: 0 for
// -h (the usage was asked for and printed), else ExitHarness, after
// suggesting the closest flag to one the command does not know (the flag
// package has printed its own message and the usage).
func flagExit(fs *flag.FlagSet, err error, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		return loadharness.ExitPass
	}
	const unknown = "flag provided but not defined: -"
	if name, ok := strings.CutPrefix(err.Error(), unknown); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if best, ok := suggest.Closest(strings.TrimLeft(name, "-"), names, 2); ok {
			fmt.Fprintf(stderr, "%s: unknown flag -%s: did you mean --%s?\n", fs.Name(), name, best)
		}
	}
	return loadharness.ExitHarness
}
