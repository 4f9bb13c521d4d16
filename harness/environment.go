package harness

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strings"
	"time"

	"loadharness/harness/stack"
	"loadharness/reports"
	"loadharness/scenarios"
)

// environment describes where the run happened, for the sign-off report.
// The commit is asked of git when the harness runs inside a checkout;
// builds here carry no VCS stamp (-buildvcs=false).
func environment(info stack.Info) reports.Environment {
	host, _ := os.Hostname()
	return reports.Environment{
		Commit:    gitCommit(),
		Host:      host,
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
		GoVersion: runtime.Version(),
		Provider:  info.Provider,
		RedisKind: info.RedisKind,
		Generated: time.Now(),
	}
}

func gitCommit() string {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// serviceVersion names the service under test: the version the user gave,
// else the versions its answers named (the suite's session.version_header),
// each with its share of the answers when there were several, as in a
// rolling deploy; both when both are known.
func serviceVersion(given string, outcomes map[string]scenarios.Outcome) string {
	counts := map[string]uint64{}
	var total uint64
	for _, o := range outcomes {
		for v, n := range o.ServiceVersions {
			counts[v] += n
			total += n
		}
	}
	if total == 0 {
		return given
	}
	versions := make([]string, 0, len(counts))
	for v := range counts {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	said := versions[0]
	if len(versions) > 1 {
		parts := make([]string, len(versions))
		for i, v := range versions {
			parts[i] = fmt.Sprintf("%s (%.1f%% of answers)", v, 100*float64(counts[v])/float64(total))
		}
		said = strings.Join(parts, ", ")
	}
	if given == "" {
		return said
	}
	return given + "; the answers named " + said
}
