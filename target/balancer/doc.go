// Package balancer is the load balancer in front of the target's instances:
// the stand-in for the cloud load balancer of the seed's architecture.
//
// Like an application load balancer it spreads requests round robin over
// the backends that pass their health checks, with no stickiness, so a
// session kept in one instance's memory is lost on the next request; it
// takes a backend out when a check or a proxied request fails and back when a
// check passes; it drains a backend before removing it; and it does not retry
// a failed request, so a killed instance costs the errors it would cost in
// production.
package balancer
