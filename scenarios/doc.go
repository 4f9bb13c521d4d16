// Package scenarios turns a suite into load. It runs each scenario of a
// suite (read and validated by package suite) on Vegeta's attacker with
// virtual users: each user keeps its own cookies, hence its own server-side
// session, and remembers the data set it uploaded, so a lost or swapped
// session shows up in the results.
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
