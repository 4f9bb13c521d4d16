package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"loadharness"
	"loadharness/scenarios/har"
	"loadharness/scenarios/suite"
)

// cmdImportHAR turns a browser recording into a suite, and checks that the
// suite parses. The file is written even when it does not, so that the
// user can fix what the problems name; the exit code says so.
func cmdImportHAR(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest import-har", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: loadtest import-har FILE.har [-o SUITE.yaml] [--host HOST]... [--include-assets] [--name NAME] [--force]")
		fs.PrintDefaults()
	}
	out := fs.String("o", "", "write the suite to this file (default: standard output)")
	var hosts hostList
	fs.Var(&hosts, "host", "keep requests to this host, as example.com or example.com:8080 (repeat it, or give a comma list; default: the host of the first request)")
	assets := fs.Bool("include-assets", false, "keep static assets (images, CSS, scripts, fonts, media)")
	name := fs.String("name", "", "the suite's name (default: the -o file's name, else "+har.DefaultName+")")
	force := fs.Bool("force", false, "overwrite the -o file if it exists")
	files, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return flagExit(fs, err, stderr)
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "loadtest import-har: give one HAR file")
		fs.Usage()
		return loadharness.ExitHarness
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "loadtest import-har: %v\n", err)
		return loadharness.ExitHarness
	}
	if *out != "" && !*force {
		if _, err := os.Lstat(*out); err == nil {
			return fail(fmt.Errorf("%s exists; --force overwrites it", *out))
		}
	}
	l, err := readHAR(files[0])
	if err != nil {
		return fail(err)
	}
	if *name == "" && *out != "" {
		*name = nameFromFile(*out)
	}
	text, warnings, err := har.Convert(l, har.Options{
		Hosts: hosts, IncludeAssets: *assets, Name: *name, Source: filepath.Base(files[0]),
	})
	if err != nil {
		return fail(fmt.Errorf("%s: %w", files[0], err))
	}
	for _, w := range warnings {
		fmt.Fprintf(stderr, "loadtest import-har: warning: %s\n", w)
	}
	shown := *out
	if shown == "" {
		shown = "imported.yaml"
	}
	_, parseErr := suite.Parse(shown, text)
	if err := ctx.Err(); err != nil {
		return fail(err)
	}
	if *out == "" {
		if _, err := stdout.Write(text); err != nil {
			return fail(err)
		}
	} else {
		if err := writeAtomic(*out, text, *force); err != nil {
			return fail(err)
		}
		fmt.Fprintf(stderr, "loadtest import-har: wrote %s; its first lines say how to run it\n", *out)
	}
	if parseErr != nil {
		fmt.Fprintf(stderr, "loadtest import-har: the suite does not validate; fix these problems by hand:\n%v\n", parseErr)
		return loadharness.ExitHarness
	}
	return 0
}

// hostList is a flag given more than once, or as a comma list.
type hostList []string

func (h *hostList) String() string { return strings.Join(*h, ",") }

func (h *hostList) Set(s string) error {
	for part := range strings.SplitSeq(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*h = append(*h, part)
		}
	}
	return nil
}

func readHAR(file string) (*har.Log, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l, err := har.Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return l, nil
}

// nameFromFile is a suite name from a file name, "shop" for
// "suites/shop.yaml", or "" when that name would not do.
func nameFromFile(file string) string {
	base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	if base == "" || len(base) > 64 {
		return ""
	}
	for _, c := range []byte(base) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return ""
		}
	}
	return base
}

// writeAtomic writes data to file through a temporary file in the same
// directory, so that a reader never sees half a suite. Without overwrite,
// an existing file is never replaced, even one created meanwhile.
func writeAtomic(file string, data []byte, overwrite bool) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(file), "."+filepath.Base(file)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	if overwrite {
		if err := os.Rename(tmp.Name(), file); err != nil {
			return fmt.Errorf("write %s: %w", file, err)
		}
		return nil
	}
	// A hard link fails when file exists: no window between a check and
	// the rename for another writer to lose its file.
	if err := os.Link(tmp.Name(), file); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s exists; --force overwrites it", file)
		}
		// The file system has no hard links: check, then rename.
		if _, statErr := os.Lstat(file); statErr == nil {
			return fmt.Errorf("%s exists; --force overwrites it", file)
		}
		if err := os.Rename(tmp.Name(), file); err != nil {
			return fmt.Errorf("write %s: %w", file, err)
		}
		return nil
	}
	os.Remove(tmp.Name())
	return nil
}
