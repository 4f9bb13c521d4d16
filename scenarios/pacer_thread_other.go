//go:build !linux

package scenarios

// sharpenPacerThread does nothing where a thread's timer slack cannot be
// set.
func sharpenPacerThread() bool { return false }
