//go:build !unix

package scenarios

import "time"

// preciseSleep is time.Sleep where there is no nanosleep.
func preciseSleep(d time.Duration) { time.Sleep(d) }

// awaitDue sleeps until due where there is no nanosleep.
func awaitDue(due time.Time) { time.Sleep(time.Until(due)) }
