package harness

import (
	"strings"

	"loadharness"
	"loadharness/reports"
	"loadharness/scenarios/suite"
)

// redacting replaces the suite's secrets in a result's text fields (its
// URL, error and check failure: where a value from the environment can
// show) before the sinks behind it see the result.
type redacting struct {
	secrets []string
	// urls replaces every secret in one pass: the URL is redacted on every
	// result, the failure texts only on failures.
	urls *strings.Replacer
	next loadharness.Sink
}

// newRedacting redacts secrets from what reaches next.
func newRedacting(secrets []string, next loadharness.Sink) redacting {
	pairs := make([]string, 0, 2*len(secrets))
	for _, v := range secrets { // longest first (suite.Secrets' order), so one holding another is redacted whole
		pairs = append(pairs, v, suite.Redacted)
	}
	return redacting{secrets: secrets, urls: strings.NewReplacer(pairs...), next: next}
}

// Add redacts r in place and passes it on.
func (s redacting) Add(r *loadharness.Result) {
	r.URL = s.urls.Replace(r.URL)
	// Failures quote what they found, %q-escaped and cut at 40 bytes.
	if r.Error != "" {
		r.Error = suite.RedactMessage(r.Error, s.secrets)
	}
	if r.CheckFailure != "" {
		r.CheckFailure = suite.RedactMessage(r.CheckFailure, s.secrets)
	}
	s.next.Add(r)
}

// Close closes the sinks behind.
func (s redacting) Close() error { return s.next.Close() }

// redactSummary replaces secrets in the summary's free text: what the run
// said rather than measured.
func redactSummary(sum *reports.Summary, secrets []string) {
	if len(secrets) == 0 {
		return
	}
	for i := range sum.Warnings {
		sum.Warnings[i] = suite.Redact(sum.Warnings[i], secrets)
	}
	for i := range sum.InvalidReasons {
		sum.InvalidReasons[i] = suite.Redact(sum.InvalidReasons[i], secrets)
	}
	sum.Aborted = suite.Redact(sum.Aborted, secrets)
	for i := range sum.Events {
		sum.Events[i].Detail = suite.Redact(sum.Events[i].Detail, secrets)
	}
}
