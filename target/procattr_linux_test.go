package target

import "syscall"

// childProcAttr makes a test's child process die with the test binary, so a
// test killed by its timeout leaves no redis-server or target behind.
func childProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
