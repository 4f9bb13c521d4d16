// Package prefork runs a server as several worker processes that share one
// listening port, the way Gunicorn runs a Flask app with N workers.
//
// The workers are real operating-system processes, not goroutines: anything a
// worker keeps in memory (an in-memory session, say) is invisible to its
// siblings, which is exactly the failure the seed's scaling plan has to fix.
// They share the port through SO_REUSEPORT, so the kernel spreads new
// connections over them, and a supervisor restarts any worker that dies.
//
// The same executable plays both roles: main asks Current whether it is a
// worker; if not, it calls Supervise, which starts copies of itself.
//
// Linux only: SO_REUSEPORT load spreading and the parent-death signal that
// takes the workers down with a killed supervisor are Linux features.
package prefork
