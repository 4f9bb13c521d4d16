package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"loadharness"
	"loadharness/docs"
	"loadharness/internal/suggest"
	"loadharness/scenarios/suite"
)

// schemaKinds are the documents `loadtest schema` describes, each with the
// JSON Schema it prints.
var schemaKinds = []struct {
	name   string
	schema func() ([]byte, error)
}{
	// Suite files, for editors: a YAML language server reads it from
	// `# yaml-language-server: $schema=suite.schema.json`.
	{"suite", suite.JSONSchema},
	// summary.json, for CI scripts: docs/summary.schema.json as committed.
	{"summary", func() ([]byte, error) { return []byte(docs.SummarySchema), nil }},
}

// cmdSchema prints the JSON Schema (draft 2020-12) of a suite file or of
// summary.json on stdout.
func cmdSchema(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest schema", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: loadtest schema suite|summary")
		fmt.Fprintln(stderr, "Prints the JSON Schema (draft 2020-12) of suite files, for editors (save it and put")
		fmt.Fprintln(stderr, "`# yaml-language-server: $schema=suite.schema.json` atop a suite), or of summary.json,")
		fmt.Fprintln(stderr, "for the scripts that read it (docs/summary.md says what each field means).")
	}
	positional, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return flagExit(fs, err, stderr)
	}
	if len(positional) != 1 {
		fmt.Fprintln(stderr, "loadtest schema: give one kind of document: suite or summary")
		fs.Usage()
		return loadharness.ExitHarness
	}
	schema, err := schemaOf(positional[0])
	if err != nil {
		fmt.Fprintf(stderr, "loadtest schema: %v\n", err)
		return loadharness.ExitHarness
	}
	if _, err := stdout.Write(schema); err != nil {
		fmt.Fprintf(stderr, "loadtest schema: %v\n", err)
		return loadharness.ExitHarness
	}
	return loadharness.ExitPass
}

// schemaOf returns the schema of the kind of document called name.
func schemaOf(name string) ([]byte, error) {
	var names []string
	for _, k := range schemaKinds {
		if k.name == name {
			return k.schema()
		}
		names = append(names, k.name)
	}
	msg := fmt.Sprintf("unknown kind %q (kinds: %s)", name, strings.Join(names, ", "))
	if best, ok := suggest.Closest(name, names, 2); ok {
		msg += fmt.Sprintf("; did you mean %s?", best)
	}
	return nil, errors.New(msg)
}
