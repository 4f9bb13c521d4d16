//go:build linux

package prefork

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// reusePort sets SO_REUSEADDR and SO_REUSEPORT on a socket before it binds.
func reusePort(network, address string, c syscall.RawConn) error {
	var sockErr error
	err := c.Control(func(fd uintptr) {
		if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); e != nil {
			sockErr = fmt.Errorf("set SO_REUSEADDR: %w", e)
			return
		}
		if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); e != nil {
			sockErr = fmt.Errorf("set SO_REUSEPORT: %w", e)
		}
	})
	if err != nil {
		return err
	}
	return sockErr
}

// workerProcAttr makes the kernel SIGKILL a worker when the thread that
// started it dies, so a supervisor killed with SIGKILL leaves nothing serving.
// The worker stays in the supervisor's process group so that a harness can
// also signal the whole group.
func workerProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
