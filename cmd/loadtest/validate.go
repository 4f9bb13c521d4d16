package main

import (
	"flag"
	"fmt"
	"io"
	"runtime/debug"

	"loadharness"
	"loadharness/scenarios/suite"
)

// cmdValidate parses a suite and its gates and reports every problem, so a
// suite can be checked in CI without bringing anything up.
func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	suiteName := fs.String("suite", "", "built-in suite name or path to a suite YAML file")
	if err := fs.Parse(args); err != nil {
		return loadharness.ExitHarness
	}
	if *suiteName == "" {
		fmt.Fprintln(stderr, "loadtest validate: --suite is required")
		return loadharness.ExitHarness
	}
	s, err := suite.Load(*suiteName)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return loadharness.ExitHarness
	}
	fmt.Fprintf(stdout, "%s: ok (%d scenarios)\n", s.File, len(s.Scenarios))
	return 0
}

func cmdSuites(stdout io.Writer) int {
	for _, name := range suite.BuiltIn() {
		desc := ""
		if s, err := suite.Load(name); err == nil {
			desc = s.Description
		}
		fmt.Fprintf(stdout, "%-16s %s\n", name, desc)
	}
	return 0
}

func version() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
		return info.Main.Version
	}
	return "unknown"
}
