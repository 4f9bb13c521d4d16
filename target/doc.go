// Package target is the reference service the harness loads: a small data web
// application where users log in, upload CSV data sets and view choropleth
// maps of them, as in the seed's scaling plan.
//
// It can run in the plan's "before" shape (one worker, sessions in process
// memory, the whole data set serialized into the session) and in its "after"
// shape (several workers and instances, sessions in a shared Redis, data sets
// under their own Redis key), so that every failure the plan worries about —
// sessions lost across workers and instances, sessions too large to store,
// Redis outages, overload — really happens and can be measured over HTTP.
//
// The HTTP contract is docs/target-api.md. The harness talks to this program
// only over that contract, never through these Go types; cmd/target only
// wires flags and signals to NewServer.
package target
