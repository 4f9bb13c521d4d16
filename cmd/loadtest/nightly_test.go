package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// workflow is the part of a GitHub Actions workflow the nightly gate needs.
type workflow struct {
	On struct {
		Schedule         []struct{ Cron string } `yaml:"schedule"`
		WorkflowDispatch *yaml.Node              `yaml:"workflow_dispatch"`
	} `yaml:"on"`
	Jobs map[string]struct {
		RunsOn string `yaml:"runs-on"`
		Steps  []struct {
			Name string            `yaml:"name"`
			Uses string            `yaml:"uses"`
			If   string            `yaml:"if"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

// TestNightlyWorkflow parses the nightly capacity workflow and checks that
// it runs the suite on a schedule, compares with a baseline, always uploads
// the report, and calls only subcommands that exist.
func TestNightlyWorkflow(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", ".github", "workflows", "nightly-capacity.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf workflow
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&wf); err != nil {
		t.Fatalf("parse workflow: %v", err)
	}
	if len(wf.On.Schedule) == 0 || len(strings.Fields(wf.On.Schedule[0].Cron)) != 5 {
		t.Errorf("schedule = %+v, want a five-field cron", wf.On.Schedule)
	}
	if wf.On.WorkflowDispatch == nil {
		t.Error("no workflow_dispatch: the gate cannot be run by hand")
	}
	if len(wf.Jobs) == 0 {
		t.Fatal("no jobs")
	}
	var subcommands []string
	var calls [][]string // each call's whole match, subcommand and arguments
	var uploadsAlways, downloadsBaseline bool
	for _, job := range wf.Jobs {
		for _, st := range job.Steps {
			for _, m := range regexp.MustCompile(`bin/loadtest (\w+)(.*)`).FindAllStringSubmatch(st.Run, -1) {
				subcommands = append(subcommands, m[1])
				calls = append(calls, m)
			}
			if strings.HasPrefix(st.Uses, "actions/upload-artifact@") && st.If == "always()" {
				uploadsAlways = true
			}
			if strings.HasPrefix(st.Uses, "actions/download-artifact@") && st.With["run-id"] != "" {
				downloadsBaseline = true
			}
		}
	}
	for _, want := range []string{"run", "compare"} {
		if !slices.Contains(subcommands, want) {
			t.Errorf("the workflow never calls loadtest %s (calls %v)", want, subcommands)
		}
	}
	for _, call := range calls {
		// Each subcommand must exist and know every flag the workflow gives
		// it: -h lists them.
		_, _, help := loadtest(t, call[1], "-h")
		if strings.Contains(help, "unknown command") {
			t.Errorf("%s: no such subcommand", call[0])
			continue
		}
		for _, flag := range regexp.MustCompile(`--([a-z-]+)`).FindAllStringSubmatch(call[2], -1) {
			if !strings.Contains(help, "-"+flag[1]+" ") && !strings.Contains(help, "-"+flag[1]+"\n") {
				t.Errorf("%s: loadtest %s has no flag --%s", call[0], call[1], flag[1])
			}
		}
	}
	if !uploadsAlways {
		t.Error("the report is not uploaded with if: always(): a failed night would leave nothing to look at")
	}
	if !downloadsBaseline {
		t.Error("no download of a previous run's artifact as the baseline")
	}
}
