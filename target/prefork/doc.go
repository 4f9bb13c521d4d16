// Package prefork runs a server as several worker processes that share one
// listening port, the way Gunicorn runs a Flask app with N workers.
//
// The workers are real operating-system processes, not goroutines: anything a
// worker keeps in memory (an in-memory session, say) is invisible to its
// siblings, which is exactly the failure the seed's scaling plan has to fix.
// They share the port through SO_REUSEPORT, so the kernel spreads new
// connections over them, and a supervisor restarts any worker that dies.
//
// Which worker serves a connection to the shared port is the kernel's
// choice, so nothing outside can ask one worker in particular. Config.OwnAddr
// therefore gives each worker a listener of its own as well, on a port of
// its slot that the supervisor holds across restarts. The target serves its
// metrics there, so a Prometheus scrapes every worker as a target of its
// own: each has its own up, its own process_cpu_seconds_total, and a
// restarted worker's counters start again at zero on its own series, a
// reset rate() and increase() account for. The alternative, the supervisor
// gathering its workers' metrics and serving them merged, was rejected: it
// puts a parser and a relabeller in the supervisor, one hung worker fails
// the scrape of all, a dead worker shows only as missing series rather than
// as up == 0, and the process collectors of N processes would collide
// until renamed.
//
// The same executable plays both roles: main asks Current whether it is a
// worker; if not, it calls Supervise, which starts copies of itself.
//
// Linux only: SO_REUSEPORT load spreading and the parent-death signal that
// takes the workers down with a killed supervisor are Linux features.
package prefork
