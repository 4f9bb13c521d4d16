package harness

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Test helpers of the event suites, exported to the harness_test package.
var (
	HostLoad       = hostLoad
	OverloadedHost = overloadedHost
)

// overloadedHost is the load per core past which the event suites' timing
// gates are reported rather than judged: the machine running the tests may
// be shared, and past 2 runnable threads per core a target's latency says
// more about its neighbours than about it.
const overloadedHost = 2.0

// hostLoad is the 1-minute load average per core, or 0 when unknown.
func hostLoad() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	fields := strings.Fields(string(b))
	if len(fields) == 0 {
		return 0
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return 0
	}
	return v / float64(runtime.NumCPU())
}
