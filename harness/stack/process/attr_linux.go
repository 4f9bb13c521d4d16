package process

import "syscall"

// childAttr puts a child in a process group of its own, so that it and its
// workers are signalled together, and has the kernel kill it when the
// thread that forked it ends (the spawner's, which lives as long as the
// harness): a harness killed with -9 leaves no stack behind.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
