package suite

import (
	"strconv"
	"strings"
)

// Redacted stands in for a secret in every output.
const Redacted = "[redacted]"

// Redact replaces every secret in s with Redacted.
func Redact(s string, secrets []string) string {
	for _, v := range secrets {
		if v != "" && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, Redacted)
		}
	}
	return s
}

// Redact replaces the suite's secrets in s.
func (s *Suite) Redact(text string) string { return Redact(text, s.Secrets) }

// maxCut bounds the start of a secret that truncate can leave in a
// message: it keeps at most 40 bytes.
const maxCut = 64

// RedactMessage redacts a message that may quote a secret as %q does, or
// cut short with "…" (the check failures of results): see redactMessage.
func RedactMessage(msg string, secrets []string) string { return redactMessage(msg, secrets) }

// redactMessage redacts a parser message, which may show a secret as
// describe and %q do: quoted (a " or \\ in it escaped), and cut short by
// truncate, its start followed by "…".
func redactMessage(msg string, secrets []string) string {
	msg = Redact(msg, secrets)
	for _, v := range secrets {
		if q := strconv.Quote(v); q[1:len(q)-1] != v {
			msg = strings.ReplaceAll(msg, q[1:len(q)-1], Redacted)
		}
		if !strings.Contains(msg, "…") {
			continue
		}
		for n := min(len(v)-1, maxCut); n > 0; n-- {
			q := strconv.Quote(v[:n])
			msg = strings.ReplaceAll(msg, v[:n]+"…", Redacted+"…")
			msg = strings.ReplaceAll(msg, q[1:len(q)-1]+"…", Redacted+"…")
		}
	}
	return msg
}
