package suite

import (
	"fmt"
	"strings"
)

// Pos is where something was written in a suite file.
type Pos struct {
	File   string
	Line   int
	Column int
}

// String returns "file:line:column".
func (p Pos) String() string { return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column) }

// Problem is one thing wrong with a suite file, at the place it was written.
type Problem struct {
	File   string
	Line   int
	Column int
	Msg    string
}

// String returns the problem as "file:line:column: message", the form
// editors and CI annotations understand.
func (p Problem) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Msg)
}

// SuiteError lists every problem found in a suite file, in file order. Parse
// reports them all at once so that one edit fixes them all.
type SuiteError struct {
	Problems []Problem
}

// Error prints one problem per line.
func (e *SuiteError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}
