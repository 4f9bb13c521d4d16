//go:build !unix

package scenarios

import "syscall"

// peekOpen cannot look at a socket on this platform: an idle connection is
// assumed open, and a request that fails on it is an error result.
func peekOpen(syscall.RawConn) bool { return true }
