// Package loadharness holds the domain of the load-testing harness: the result of
// one request, the sinks that consume a stream of results, the gates that judge a
// run, the verdict and the events the harness causes. It imports only the
// standard library so that every other package can speak these words without
// depending on each other (see the Standard Package Layout).
//
// The parts around it:
//   - scenarios/suite reads and validates suite files;
//   - scenarios/ turns a suite into load (virtual users on Vegeta's attacker);
//   - reports/ folds the stream of results into bounded-memory aggregates and
//     writes summaries for people and for CI;
//   - harness/ brings a stack up, runs the scenarios, evaluates the gates;
//   - target/ is a separate program, the reference service under test.
package loadharness
