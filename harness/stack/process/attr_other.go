//go:build unix && !linux

package process

import "syscall"

// childAttr puts a child in a process group of its own, so that it and its
// workers are signalled together. Only Linux can have the kernel kill a
// child when the harness dies; elsewhere a harness killed with -9 leaves
// its stack to the ledger's clean-up at the next run.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}
