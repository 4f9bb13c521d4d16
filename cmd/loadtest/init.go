package main

import (
	_ "embed"
	"flag"
	"fmt"
	"io"
	"strings"

	"loadharness"
	"loadharness/harness/stack/external"
	"loadharness/scenarios/suite"
)

// starterSuite is what `loadtest init` writes: a commented suite that
// validates as it is, with the features for a service with accounts
// commented out behind "#| ".
//
//go:embed starter/suite.yaml
var starterSuite string

// cmdInit writes a starter suite for the user's own service to FILE, or to
// stdout without one. It never overwrites a file unless --force.
func cmdInit(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest init", flag.ContinueOnError)
	fs.SetOutput(stderr)
	target := fs.String("target", "http://127.0.0.1:8080", "base URL of your service, for the commands the suite's comments show")
	force := fs.Bool("force", false, "overwrite FILE if it exists")
	positional, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return flagExit(fs, err, stderr)
	}
	if len(positional) > 1 {
		fmt.Fprintf(stderr, "loadtest init: one FILE at most, not %q\n", strings.Join(positional, " "))
		return loadharness.ExitHarness
	}
	if err := external.CheckURL("--target", *target); err != nil {
		fmt.Fprintf(stderr, "loadtest init: %v\n", err)
		return loadharness.ExitHarness
	}
	file := "SUITE.yaml"
	if len(positional) == 1 {
		file = positional[0]
	}
	text := strings.NewReplacer("{{FILE}}", file, "{{TARGET}}", *target).Replace(starterSuite)
	if _, err := suite.Parse(file, []byte(text)); err != nil {
		// The template is ours: a starter that does not validate is a bug.
		fmt.Fprintf(stderr, "loadtest init: the starter suite does not validate: %v\n", err)
		return loadharness.ExitHarness
	}
	if len(positional) == 0 {
		io.WriteString(stdout, text)
		return loadharness.ExitPass
	}
	if err := writeAtomic(file, []byte(text), *force); err != nil {
		fmt.Fprintf(stderr, "loadtest init: %v\n", err)
		return loadharness.ExitHarness
	}
	fmt.Fprintf(stdout, "wrote %s: check it with `loadtest validate %s`, run it with `loadtest run %s --provider external --target %s`\n",
		file, file, file, *target)
	return loadharness.ExitPass
}
