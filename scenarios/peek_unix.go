//go:build unix

package scenarios

import (
	"errors"
	"syscall"
)

// peekOpen looks at a socket without reading or waiting: open when nothing
// is waiting to be read; closed (or out of step) when the peer has closed it,
// sent something nobody asked for, or the socket failed.
func peekOpen(rc syscall.RawConn) bool {
	open := false
	err := rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// Nothing to read yet is the one answer that means open: 0 bytes
		// is the peer's close, any byte is unasked for.
		open = errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK)
		return true // never wait
	})
	return err == nil && open
}
