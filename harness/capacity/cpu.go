//go:build unix

package capacity

import (
	"syscall"
	"time"
)

// harnessCPU returns the CPU time (user + system) this process has used, to
// tell a capacity step the generator could not drive from one the target
// failed.
func harnessCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
