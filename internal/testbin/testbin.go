// Package testbin builds the project's commands for integration tests, once
// per test binary, into a temporary directory.
package testbin

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Build compiles the packages (import paths such as
// "loadharness/cmd/target") into dir and returns the path of each binary,
// in order. A test's TestMain calls it before m.Run.
func Build(dir string, packages ...string) ([]string, error) {
	args := append([]string{"build", "-o", dir + string(filepath.Separator)}, packages...)
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("go build %v: %w\n%s", packages, err, out)
	}
	bins := make([]string, len(packages))
	for i, p := range packages {
		bins[i] = filepath.Join(dir, filepath.Base(p))
	}
	return bins, nil
}

// Main builds the packages into a temporary directory, runs the tests with
// their paths and removes the directory: a TestMain in one line,
// os.Exit(testbin.Main(m.Run, []*string{&bin}, "loadharness/cmd/target")).
func Main(run func() int, bins []*string, packages ...string) int {
	dir, err := os.MkdirTemp("", "loadharness-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)
	paths, err := Build(dir, packages...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	for i, p := range paths {
		*bins[i] = p
	}
	return run()
}
