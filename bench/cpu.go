package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// exitedCPU is the CPU time a finished command used, 0 when unknown.
func exitedCPU(cmd *exec.Cmd) time.Duration {
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// clockTick is the unit of /proc/PID/stat times: USER_HZ, 100 on Linux.
const clockTick = 10 * time.Millisecond

// pidCPU is the CPU time process pid has used so far, from /proc (to a
// hundredth of a second).
func pidCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("process cpu: %w", err)
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15) of a /proc/PID/stat
// line; the command name in parentheses may hold spaces, so fields are
// counted from the last ')'.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse stat: no command name")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state): utime is field 14, f[11]; stime f[12].
	if len(f) < 13 {
		return 0, fmt.Errorf("parse stat: %d fields", len(f)+2)
	}
	u, err := strconv.ParseUint(f[11], 10, 63)
	if err != nil {
		return 0, fmt.Errorf("parse stat utime: %w", err)
	}
	s, err := strconv.ParseUint(f[12], 10, 63)
	if err != nil {
		return 0, fmt.Errorf("parse stat stime: %w", err)
	}
	if maxTicks := uint64(math.MaxInt64 / clockTick); u > maxTicks || s > maxTicks-u {
		// Beyond 292 years of CPU: a corrupt line, which would overflow.
		return 0, fmt.Errorf("parse stat: utime %d + stime %d ticks overflow", u, s)
	}
	return time.Duration(u+s) * clockTick, nil
}
