package main

import "flag"

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
