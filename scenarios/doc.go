// Package scenarios turns a suite file into load. It reads and validates
// suites (YAML, every problem reported at once with its line and column) and
// runs each scenario on Vegeta's attacker with virtual users: each user keeps
// its own cookies, hence its own server-side session, and remembers the data
// set it uploaded, so a lost or swapped session shows up in the results.
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
//	    warmup: 3s                      # load whose results are dropped
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
//
// # Load
//
// A closed model keeps one Vegeta worker per user and sends a user's next
// request when its previous one has answered and its think time has passed.
// An open model paces requests with Vegeta's pacers (or StepPacer) and
// carries them with a pool of users. Latency is measured both from the real
// send time and from the time the load model meant the request to be sent,
// so that a target that stalls the generator cannot hide its stall
// (coordinated omission).
//
// Raw results are written and read in Vegeta's JSON format (NewRawWriter,
// ReadRaw), so `vegeta report` reads them too.
package scenarios
