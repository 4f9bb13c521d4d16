//go:build !linux

package prefork

import (
	"fmt"
	"runtime"
	"syscall"
)

// reusePort refuses: port sharing between workers is implemented for Linux only.
func reusePort(network, address string, c syscall.RawConn) error {
	return fmt.Errorf("SO_REUSEPORT: not supported on %s", runtime.GOOS)
}

// workerProcAttr has no parent-death signal outside Linux.
func workerProcAttr() *syscall.SysProcAttr { return nil }
