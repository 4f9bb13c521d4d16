//go:build !unix

package scenarios

import "time"

// preciseSleep is time.Sleep where there is no nanosleep.
func preciseSleep(d time.Duration) { time.Sleep(d) }
