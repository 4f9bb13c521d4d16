// Package aggregate folds the stream of results into bounded-memory figures:
// HDR histograms and counters per scenario step, per scenario and for the
// whole run, the same per one-second bucket for charts (Aggregate), and the
// measures taken around the harness's actions, such as recovery_time
// (Recovery). Both are loadharness.Sinks and loadharness.Measurers, so gates
// are judged on them directly. Memory grows with a run's duration, its
// scopes, users and events, never with its requests.
package aggregate
