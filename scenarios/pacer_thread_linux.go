//go:build linux

package scenarios

import (
	"runtime"
	"syscall"
)

// prSetTimerSlack is prctl's PR_SET_TIMERSLACK.
const prSetTimerSlack = 29

// sharpenPacerThread locks the calling goroutine (Vegeta's attack loop,
// which calls Pace) to its thread and sets that thread's timer slack to
// 1ns. A thread's nanosleep may wake up as late as its slack, 50µs by
// default, to let the kernel batch wake-ups; every microsecond of it is
// generator lag charged to the target. The goroutine ends with the attack,
// still locked, so the runtime retires the thread rather than hand its
// slack to other goroutines. It needs no privilege.
func sharpenPacerThread() bool {
	runtime.LockOSThread()
	_, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
	return errno == 0
}
