package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Parse reads a CSV upload: a header row, then at least one data row with as
// many fields. Fields are separated by commas and may be quoted as RFC 4180
// says; lines end with "\n" or "\r\n"; a UTF-8 byte order mark at the start is
// dropped; blank lines are skipped; all text must be valid UTF-8.
//
// The first column is the row key: every key must be non-blank and unique.
// Every other column is numeric or text, decided by its first non-empty cell:
// a decimal number ("12", "-0.5", "1e3") makes the column numeric, and then
// every later cell must be a number too or empty (stored as NaN). A column
// whose cells are all empty is text. Only plain decimals are numbers: "NaN",
// "Inf", hex ("0x1p-2") and digit separators ("1_000"), which
// strconv.ParseFloat would take, make a text column as a first cell and are
// an error later, because a map cannot colour infinity, missing values are
// empty cells, and a ward called "Nan" must not turn its column numeric.
// Numbers are not trimmed: " 1" is text.
//
// Errors are *LimitError when the input crosses lim (Parse stops reading
// there, so at most lim.MaxBytes+1 bytes are read), *SyntaxError for a
// malformed file, or the reader's own error wrapped with "read csv:".
func Parse(r io.Reader, lim Limits) (*DataSet, error) {
	lim = lim.orDefault()
	src := &limitedReader{r: r, left: lim.MaxBytes}
	br := bufio.NewReaderSize(src, 16<<10)
	if b, err := br.Peek(len(utf8BOM)); err == nil && bytes.Equal(b, utf8BOM) {
		_, _ = br.Discard(len(utf8BOM)) // cannot fail: the bytes are buffered
	}
	p := &parser{
		lim: lim,
		src: src,
		rr:  &recordReader{br: br, maxFields: lim.MaxColumns, maxCell: lim.MaxCellBytes},
	}
	return p.parse()
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// parser holds the state of one Parse call.
type parser struct {
	lim    Limits
	src    *limitedReader
	rr     *recordReader
	row    int // 1-based record number of the record being checked
	header []string
	cols   []columnBuilder
	keys   map[string]int // key → row, to report the first of two duplicates
}

func (p *parser) parse() (*DataSet, error) {
	rec, err := p.rr.read()
	p.row = 1
	if err == io.EOF {
		return nil, &SyntaxError{Row: 1, Msg: "the file is empty; expected a header row"}
	}
	if err != nil {
		return nil, p.fail(err)
	}
	if err := p.readHeader(rec); err != nil {
		return nil, err
	}
	// From here on a record longer than the header is a malformed row, not
	// a file with too many columns.
	p.rr.maxFields = len(p.header)

	for {
		rec, err := p.rr.read()
		p.row++
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, p.fail(err)
		}
		if p.row-1 > p.lim.MaxRows {
			return nil, &LimitError{What: LimitRows, Limit: int64(p.lim.MaxRows)}
		}
		if err := p.addRow(rec); err != nil {
			return nil, err
		}
	}
	rows := p.row - 2
	if rows == 0 {
		return nil, &SyntaxError{Row: 2, Msg: "no data rows after the header"}
	}
	return p.dataSet(rows), nil
}

func (p *parser) readHeader(rec []string) error {
	if len(rec) < 2 {
		return p.syntax(2, fmt.Sprintf("the header has %d column; need a key column and at least one more", len(rec)))
	}
	p.header = make([]string, len(rec))
	copy(p.header, rec) // rec is reused by the next read
	seen := make(map[string]int, len(p.header))
	for c, name := range p.header {
		if !utf8.ValidString(name) {
			return p.syntax(c+1, "the column name is not valid UTF-8 text")
		}
		if isBlank(name) {
			return p.syntax(c+1, "empty column name")
		}
		if first, dup := seen[name]; dup {
			return p.syntax(c+1, fmt.Sprintf("duplicate column name %s (also column %d)", quoteCell(name), first+1))
		}
		seen[name] = c
	}
	p.cols = make([]columnBuilder, len(p.header))
	p.keys = make(map[string]int)
	return nil
}

func (p *parser) addRow(rec []string) error {
	if len(rec) < len(p.header) {
		return p.syntax(len(rec)+1, fmt.Sprintf("missing field: the row has %d fields, the header has %d", len(rec), len(p.header)))
	}
	for c, cell := range rec {
		if !utf8.ValidString(cell) {
			return p.syntax(c+1, "not valid UTF-8 text")
		}
	}
	key := rec[0]
	if isBlank(key) {
		return p.syntax(1, "empty key")
	}
	if first, dup := p.keys[key]; dup {
		return p.syntax(1, fmt.Sprintf("duplicate key %s (also row %d)", quoteCell(key), first))
	}
	p.keys[key] = p.row
	for c, cell := range rec {
		if msg := p.cols[c].add(cell, c == 0, p.row); msg != "" {
			return p.syntax(c+1, msg)
		}
	}
	return nil
}

// fail turns an error of the record reader into the error Parse returns.
func (p *parser) fail(err error) error {
	// The byte limit wins: whatever else went wrong, the upload was too big.
	if p.src.over {
		return p.limitBytes()
	}
	var fe *fieldError
	if !errors.As(err, &fe) {
		return fmt.Errorf("read csv: %w", err)
	}
	switch fe.err {
	case errTooManyFields:
		if p.row == 1 {
			return &LimitError{What: LimitColumns, Limit: int64(p.lim.MaxColumns)}
		}
		return p.syntax(fe.field, fmt.Sprintf("too many fields: the header has %d", len(p.header)))
	case errCellTooLong:
		return &LimitError{What: LimitCellBytes, Limit: int64(p.lim.MaxCellBytes), Row: p.row, Column: fe.field}
	default:
		return p.syntax(fe.field, fe.err.Error())
	}
}

func (p *parser) limitBytes() error {
	return &LimitError{What: LimitBytes, Limit: p.lim.MaxBytes}
}

// syntax returns a *SyntaxError at column (1-based) of the current row.
func (p *parser) syntax(column int, msg string) error {
	e := &SyntaxError{Row: p.row, Column: column, Line: p.rr.start, Msg: msg}
	if column >= 1 && column <= len(p.header) {
		e.Name = p.header[column-1]
	}
	return e
}

func (p *parser) dataSet(rows int) *DataSet {
	d := &DataSet{
		Header: p.header,
		Kinds:  make([]ColumnKind, len(p.cols)),
		rows:   rows,
		text:   make([][]string, len(p.cols)),
		nums:   make([][]float64, len(p.cols)),
	}
	for c := range p.cols {
		d.Kinds[c], d.text[c], d.nums[c] = p.cols[c].finish(rows)
	}
	return d
}

// columnBuilder collects one column while its kind may still be undecided.
type columnBuilder struct {
	decided bool
	kind    ColumnKind
	since   int // row whose cell decided the kind
	pending int // empty cells seen before the kind was decided
	text    []string
	nums    []float64
}

// add appends cell of row, deciding the kind on the first non-empty cell. It
// returns a message when the cell does not fit the column's kind.
func (b *columnBuilder) add(cell string, key bool, row int) string {
	if !b.decided {
		if cell == "" {
			b.pending++
			return ""
		}
		b.decided, b.since = true, row
		if _, st := parseNumber(cell); st == isNumber && !key {
			b.kind = ColumnNumeric
			for range b.pending {
				b.nums = append(b.nums, math.NaN())
			}
		} else {
			b.kind = ColumnText
			for range b.pending {
				b.text = append(b.text, "")
			}
		}
	}
	if b.kind == ColumnText {
		b.text = append(b.text, cell)
		return ""
	}
	if cell == "" {
		b.nums = append(b.nums, math.NaN())
		return ""
	}
	v, st := parseNumber(cell)
	switch st {
	case notNumber:
		return fmt.Sprintf("%s is not a number; the column is numeric from row %d", quoteCell(cell), b.since)
	case outOfRange:
		return fmt.Sprintf("%s is out of range for a number; the column is numeric from row %d", quoteCell(cell), b.since)
	}
	b.nums = append(b.nums, v)
	return ""
}

// finish returns the column; one that never saw a non-empty cell is text.
func (b *columnBuilder) finish(rows int) (ColumnKind, []string, []float64) {
	if !b.decided {
		return ColumnText, make([]string, rows), nil
	}
	if b.kind == ColumnNumeric {
		return ColumnNumeric, nil, b.nums
	}
	return ColumnText, b.text, nil
}

// isBlank reports whether s has nothing but white space, which no one
// means as a column name or a key.
func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// quoteCell quotes a cell for an error message, cut to a readable length.
func quoteCell(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) <= max {
		return strconv.Quote(s)
	}
	n := 0
	for i := range s {
		if n == max {
			return strconv.Quote(s[:i]) + "…"
		}
		n++
	}
	return strconv.Quote(s)
}

// limitedReader reads at most left bytes and one more: reading that extra
// byte proves the input is larger than the limit, so an input of exactly the
// limit passes. After that it reports errTooLarge and reads nothing more.
type limitedReader struct {
	r    io.Reader
	left int64
	over bool
}

var errTooLarge = errors.New("input larger than the limit")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.over {
		return 0, errTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left+1] // cannot overflow: left < len(p)
	}
	n, err := l.r.Read(p)
	if int64(n) > l.left {
		l.over = true
		return 0, errTooLarge
	}
	l.left -= int64(n)
	return n, err
}
