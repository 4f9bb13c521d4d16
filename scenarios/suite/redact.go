package suite

import "strings"

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
