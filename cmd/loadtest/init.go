package main

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
	if err := writeNew(file, []byte(text), *force); err != nil {
		fmt.Fprintf(stderr, "loadtest init: %v\n", err)
		return loadharness.ExitHarness
	}
	fmt.Fprintf(stdout, "wrote %s: check it with `loadtest validate %s`, run it with `loadtest run %s --provider external --target %s`\n",
		file, file, file, *target)
	return loadharness.ExitPass
}

// writeNew writes data to path whole (a temporary file renamed into place),
// refusing to replace an existing file unless force.
func writeNew(path string, data []byte, force bool) error {
	if _, err := os.Stat(path); err == nil && !force {
		return fmt.Errorf("%s exists: give --force to overwrite it", path)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
