package reports

import (
	"bytes"
	"encoding/json"
	"io"
)

// WriteJSON is the one JSON writer of every output the harness writes:
// indented, with "<", ">" and "&" left as they are (gates read "p95 < 2s",
// not "p95 \u003c 2s"), and encoded in memory first, so that a value JSON
// cannot hold (NaN) leaves nothing half-written behind.
func WriteJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := buf.WriteTo(w)
	return err
}
