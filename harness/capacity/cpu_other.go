//go:build !unix

package capacity

import "time"

// harnessCPU cannot measure this process's CPU time here.
func harnessCPU() (time.Duration, bool) { return 0, false }
