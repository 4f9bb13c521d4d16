package scenarios

import "time"

// spinWindow is how much of a wait awaitDue spends polling the clock
// rather than asleep: a sleeping thread wakes up late by its timer slack
// and then by the time the kernel takes to run it, 50µs at the median on
// the 2-core machine even with a slack of 1ns, p99 150µs (a loop 1ms
// apart, 2000 times); polling the last 80µs brought the median to under
// a microsecond and the p99 to 180µs, for at most 80µs of one core per hit.
const spinWindow = 80 * time.Microsecond

// awaitDue returns at due, or at once when it has passed: it sleeps until
// spinWindow before, then polls the clock. Only the pacer ever sleeps in
// it, on its own thread whose timer slack it sharpened when the attack
// began (sharpenPacerThread); a worker waits in it in the transport for a
// hit handed over early, by at most sendLead, which is less than
// spinWindow: a worker only polls, and never blocks a thread.
func awaitDue(due time.Time) {
	if wait := time.Until(due); wait > spinWindow {
		preciseSleep(wait - spinWindow)
	}
	for time.Now().Before(due) {
	}
}

// A hit handed over sendLead early must leave its worker only polling:
// this fails to compile when sendLead reaches spinWindow.
const _ = uint64(spinWindow - sendLead - 1)
