// Package dataset is the reference target's uploaded data set: a CSV table of
// wards × indicators, parsed under limits, kept as a compact binary encoding
// and identified by a checksum.
//
// It replaces the seed application's habit of putting a pandas DataFrame in
// the session. Parse reads untrusted uploads through a byte limit and reports
// every problem as a typed error the server can map to a status code
// (*LimitError → 413, *SyntaxError → 400) with the row and column a
// spreadsheet user would look at. MarshalBinary writes a versioned,
// length-prefixed, CRC-protected encoding for Redis, the session or a file,
// and Decode reads it back treating the bytes as hostile: every count is
// checked against the limits and the bytes that remain before anything is
// allocated, so a corrupt or forged value costs an error, never a panic or an
// allocation out of proportion to its size.
//
// The package uses only the standard library.
package dataset
