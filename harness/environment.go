package harness

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"loadharness/harness/stack"
	"loadharness/reports"
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
