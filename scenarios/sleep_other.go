//go:build !linux

package scenarios

import "time"

// preciseSleep is time.Sleep where the syscall package has no Nanosleep
// (it has one on Linux only): a wait may then end up to a millisecond late.
func preciseSleep(d time.Duration) { time.Sleep(d) }
