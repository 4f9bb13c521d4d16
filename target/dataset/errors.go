package dataset

import (
	"fmt"
	"strconv"
	"strings"
)

// The What of a LimitError: which limit of Limits was crossed.
const (
	LimitBytes     = "bytes"
	LimitRows      = "rows"
	LimitColumns   = "columns"
	LimitCellBytes = "cell bytes"
)

// LimitError reports an upload that crossed one of its Limits; a server
// answers it with 413. Parse stops reading as soon as a limit is crossed.
type LimitError struct {
	// What is LimitBytes, LimitRows, LimitColumns or LimitCellBytes.
	What string
	// Limit is the value that was crossed.
	Limit int64
	// Row and Column locate an oversized cell (1-based, row 1 is the
	// header); both are 0 for the other limits.
	Row, Column int
}

// Error reads as a message for the person who uploaded the file.
func (e *LimitError) Error() string {
	switch e.What {
	case LimitBytes:
		return fmt.Sprintf("upload larger than %d bytes", e.Limit)
	case LimitRows:
		return fmt.Sprintf("more than %d data rows", e.Limit)
	case LimitColumns:
		return fmt.Sprintf("more than %d columns", e.Limit)
	case LimitCellBytes:
		return fmt.Sprintf("row %d, column %d: cell longer than %d bytes", e.Row, e.Column, e.Limit)
	default:
		return fmt.Sprintf("%s over the limit of %d", e.What, e.Limit)
	}
}

// SyntaxError reports a malformed CSV upload; a server answers it with 400
// and passes Row and Column on.
//
// Row counts CSV records as a spreadsheet shows them: row 1 is the header,
// row 2 the first data row, and a record whose quoted field spans several
// lines is still one row. Blank lines are skipped and not counted (as
// encoding/csv does), so Line, the line of the file where the record starts,
// is given too for a text editor. Column is the 1-based field number, or 0
// when the problem is not in one field.
type SyntaxError struct {
	Row, Column int
	// Line is the 1-based line of the file where the record starts.
	Line int
	// Name is the header name of Column when the header is known.
	Name string
	Msg  string
}

// Error reads like "row 17, column 3 (tpr): "abc" is not a number; …".
func (e *SyntaxError) Error() string {
	var b strings.Builder
	b.WriteString("row ")
	b.WriteString(strconv.Itoa(e.Row))
	if e.Line != 0 && e.Line != e.Row {
		b.WriteString(" (line ")
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteString(")")
	}
	if e.Column > 0 {
		b.WriteString(", column ")
		b.WriteString(strconv.Itoa(e.Column))
		if e.Name != "" {
			b.WriteString(" (")
			b.WriteString(e.Name)
			b.WriteString(")")
		}
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// CorruptError reports bytes that Decode cannot accept: truncated, tampered
// with, from another format or version, or describing a data set that Parse
// could never have produced under the given Limits.
type CorruptError struct {
	// Offset is the byte offset in the encoding where the problem was found.
	Offset int
	Msg    string
}

// Error reads like "corrupt data set encoding at byte 12: …".
func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt data set encoding at byte %d: %s", e.Offset, e.Msg)
}
