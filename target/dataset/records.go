package dataset

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// Problems recordReader finds inside one field.
var (
	errBareQuote     = errors.New(`a " appears in an unquoted field; quote the whole field and double the " inside it`)
	errQuote         = errors.New(`a closing " must be followed by a comma or the end of the line (write "" for a quote inside a quoted field)`)
	errUnterminated  = errors.New(`a quoted field is not closed before the end of the file`)
	errTooManyFields = errors.New("too many fields")
	errCellTooLong   = errors.New("cell too long")
)

// fieldError is a problem in field (1-based) of the record being read.
type fieldError struct {
	field int
	err   error
}

func (e *fieldError) Error() string { return e.err.Error() }

// recordReader splits CSV into records the way encoding/csv does with its
// defaults (Comma ',', LazyQuotes false, FieldsPerRecord -1): "\n" or "\r\n"
// ends a line, blank lines are skipped, a quoted field may span lines and
// holds "" for ", and a bare " in an unquoted field is an error. A fuzz test
// holds it to that equivalence.
//
// It exists because encoding/csv places an error at a byte column of a
// physical line, while an upload error must name the field (a spreadsheet
// column), and because owning the loop lets the column and cell limits stop a
// hostile line early instead of after it has been split into a million
// fields.
type recordReader struct {
	br        *bufio.Reader
	maxFields int // more fields than this is errTooManyFields
	maxCell   int // a longer field is errCellTooLong

	line  int // lines read so far
	start int // 1-based line where the last record (read or failed) started

	raw    []byte // a line longer than br's buffer
	buf    []byte // the unquoted fields of the record, back to back
	ends   []int  // where each field ends in buf
	fields []string
}

// read returns the next record, io.EOF after the last one, a *fieldError for
// malformed CSV or the reader's error. The slice is reused by the next call;
// the strings are not.
func (r *recordReader) read() ([]string, error) {
	var line []byte
	for {
		l, err := r.readLine()
		if err != nil {
			return nil, err
		}
		if len(l) > lengthNL(l) {
			line = l
			break
		}
	}
	r.start = r.line
	r.buf = r.buf[:0]
	r.ends = r.ends[:0]

fields:
	for {
		field := len(r.ends) + 1
		if field > r.maxFields {
			return nil, &fieldError{field, errTooManyFields}
		}
		begin := len(r.buf)

		if len(line) == 0 || line[0] != '"' {
			i := bytes.IndexByte(line, ',')
			f := line
			if i >= 0 {
				f = f[:i]
			} else {
				f = f[:len(f)-lengthNL(f)]
			}
			if bytes.IndexByte(f, '"') >= 0 {
				return nil, &fieldError{field, errBareQuote}
			}
			if len(f) > r.maxCell {
				return nil, &fieldError{field, errCellTooLong}
			}
			r.buf = append(r.buf, f...)
			r.ends = append(r.ends, len(r.buf))
			if i < 0 {
				break fields
			}
			line = line[i+1:]
			continue
		}

		line = line[1:] // the opening quote
		for {
			i := bytes.IndexByte(line, '"')
			switch {
			case i >= 0:
				r.buf = append(r.buf, line[:i]...)
				line = line[i+1:]
				switch {
				case len(line) > 0 && line[0] == '"':
					r.buf = append(r.buf, '"')
					line = line[1:]
				case len(line) > 0 && line[0] == ',':
					if len(r.buf)-begin > r.maxCell {
						return nil, &fieldError{field, errCellTooLong}
					}
					r.ends = append(r.ends, len(r.buf))
					line = line[1:]
					continue fields
				case lengthNL(line) == len(line):
					if len(r.buf)-begin > r.maxCell {
						return nil, &fieldError{field, errCellTooLong}
					}
					r.ends = append(r.ends, len(r.buf))
					break fields
				default:
					return nil, &fieldError{field, errQuote}
				}
			case len(line) > 0:
				// The field goes on past this line (its newline is data).
				r.buf = append(r.buf, line...)
				var err error
				line, err = r.readLine()
				if err == io.EOF {
					return nil, &fieldError{field, errUnterminated}
				}
				if err != nil {
					return nil, err
				}
			default:
				return nil, &fieldError{field, errUnterminated}
			}
			if len(r.buf)-begin > r.maxCell {
				return nil, &fieldError{field, errCellTooLong}
			}
		}
	}

	// One string per record, sliced into fields, as encoding/csv does: one
	// allocation instead of one per cell.
	s := string(r.buf)
	r.fields = r.fields[:0]
	prev := 0
	for _, end := range r.ends {
		r.fields = append(r.fields, s[prev:end])
		prev = end
	}
	return r.fields, nil
}

// readLine returns the next line with "\r\n" normalised to "\n"; a last line
// without a newline is returned without one (and without a trailing "\r").
// It returns io.EOF only with an empty line.
func (r *recordReader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.raw = append(r.raw[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.br.ReadSlice('\n')
			r.raw = append(r.raw, line...)
		}
		line = r.raw
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(line) == 0 {
		return nil, io.EOF
	}
	r.line++
	if err == io.EOF && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if n := len(line); n >= 2 && line[n-2] == '\r' && line[n-1] == '\n' {
		line[n-2] = '\n'
		line = line[:n-1]
	}
	return line, nil
}

// lengthNL returns 1 if b ends with a newline, else 0.
func lengthNL(b []byte) int {
	if len(b) > 0 && b[len(b)-1] == '\n' {
		return 1
	}
	return 0
}
