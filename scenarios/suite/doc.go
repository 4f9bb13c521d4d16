// Package suite reads and validates suite files: YAML in, a Suite out, or
// every problem at once with its file, line and column. It holds the types a
// suite file describes (scenarios, steps, checks, load models, timed actions,
// faults, scaling policies, gates, safety rails), the built-in suites and the
// slicing of a suite into shards. It knows nothing of how load is sent:
// package scenarios runs what this package describes.
//
// # Suite files
//
// The built-in suites (suites/*.yaml, see BuiltIn) are the examples to copy.
// In short:
//
//	name: default
//	stack: {instances: 3, workers: 4}   # loadharness.StackShape; omitted fields keep their defaults
//	session: {id: header:X-Dataset-Id}  # how responses name the user's data set (SessionProbe)
//	gates: [p95 < 2s]                   # apply to every scenario
//	scenarios:
//	  - name: map-views
//	    users: 100                      # the users, each its own session
//	    rate: 150/s                     # open model; or ramp: {from, to}, stages: [{rate, duration}];
//	                                    # none: closed model, with think time between requests
//	    warmup: 3s                      # load sent before measuring (the warm-up phase's figures)
//	    setup_ramp: 2s                  # spread the users' setup over this long (default 20ms a user, at most 2s)
//	    duration: 30s
//	    setup: [login, upload]          # once per user, before the timed part
//	    steps: [map]                    # built-in names (login, upload, dataset, map) or full steps
//	    pick: sequence                  # or weighted, by each step's weight
//	    actions: [{at: 10s, do: kill-instance, instance: 2}]
//	    gates: [throughput >= 100/s]
//
// A full step has name, method, path, headers, form, body or upload
// {rows, indicators, field}, capture, weight and expect {status,
// content_type, body_contains, session}; "{{user}}" in the path, form, body
// and header values is replaced by the user's id. A full step named after a
// built-in and without a path starts from that built-in.
package suite
