package main

import (
	"flag"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"loadharness"
	"loadharness/harness/stack/external"
	"loadharness/scenarios/suite"
)

// cmdValidate parses a suite and its gates and reports every problem, so a
// suite can be checked in CI without bringing anything up.
func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("loadtest validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	suiteName := fs.String("suite", "", "built-in suite name or path to a suite YAML file (or give it as the argument)")
	provider := fs.String("provider", "auto", "the provider the suite will run with: with external (or --target), gates on the target's metrics need --metrics-url")
	targetURL := fs.String("target", "", "base URL of your own service (implies --provider external)")
	metricsURL := fs.String("metrics-url", "", "Prometheus endpoint of your service")
	prometheusURL := fs.String("prometheus-url", "", "Prometheus HTTP API the suite's promql gates will read (http://HOST:PORT)")
	positional, err := parseFlagsAnywhere(fs, args)
	if err != nil {
		return flagExit(fs, err, stderr)
	}
	if *suiteName == "" && len(positional) == 1 {
		*suiteName = positional[0]
	} else if len(positional) > 0 {
		fmt.Fprintf(stderr, "loadtest validate: unexpected argument %q\n", positional[len(positional)-1])
		return loadharness.ExitHarness
	}
	if *suiteName == "" {
		fmt.Fprintln(stderr, "loadtest validate: give a suite: loadtest validate FILE (or --suite NAME)")
		return loadharness.ExitHarness
	}
	s, err := suite.Load(*suiteName)
	if err == nil {
		err = checkMeasurable(s, *provider, *targetURL, *metricsURL, *prometheusURL)
	}
	if err == nil && *prometheusURL != "" {
		err = external.CheckURL("--prometheus-url", *prometheusURL)
	}
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

// buildRevision is set by `make build` (-ldflags -X) to `git describe`.
var buildRevision string

// version is the module version and the VCS revision the binary was built
// from: "v1.2.3", or "(devel) 61dc8da (2026-12-07T04:37:00Z, modified)".
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (built without module information)"
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	v := info.Main.Version
	if v == "" {
		v = "(devel)"
	}
	if rev := settings["vcs.revision"]; rev == "" && buildRevision != "" {
		v += " " + buildRevision
	} else if rev != "" {
		v += " " + rev[:min(len(rev), 12)]
		var notes []string
		if t := settings["vcs.time"]; t != "" {
			notes = append(notes, t)
		}
		if settings["vcs.modified"] == "true" {
			notes = append(notes, "modified")
		}
		if len(notes) > 0 {
			v += " (" + strings.Join(notes, ", ") + ")"
		}
	}
	return v + " " + info.GoVersion
}

// checkMeasurable refuses a suite whose run could prove nothing: a
// scenario without gates, or gates the run could not measure with this
// provider (the target's metrics of an external service without
// --metrics-url, promql gates with no Prometheus), and a promql gate whose
// expression Prometheus would refuse.
func checkMeasurable(s *suite.Suite, provider, targetURL, metricsURL, prometheusURL string) error {
	problems := s.Gateless()
	external := provider == "external" || targetURL != ""
	// The target's counters come from --metrics-url or, reading every
	// worker, from a Prometheus that scrapes them.
	if external && metricsURL == "" && prometheusURL == "" {
		problems = append(problems, s.Unmeasurable(false)...)
	}
	problems = append(problems, promQLProblems(s, external, prometheusURL)...)
	if len(problems) > 0 {
		return &suite.SuiteError{Problems: problems}
	}
	return nil
}
