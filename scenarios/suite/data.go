package suite

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Orders in which a scenario's users take rows of its data.
const (
	// OrderSequential: user N takes row N, wrapping round.
	OrderSequential = "sequential"
	// OrderUnique: user N takes row N; more users than rows is an error.
	OrderUnique = "unique"
	// OrderCircular: user N starts at row N and moves on a row each time it
	// starts its steps again.
	OrderCircular = "circular"
	// OrderRandom: a row drawn each time the user starts its steps again.
	OrderRandom = "random"
)

// Orders lists the row orders.
var Orders = []string{OrderSequential, OrderUnique, OrderCircular, OrderRandom}

// Limits of a data file.
const (
	MaxDataBytes  = 64 << 20
	MaxDataRows   = 1_000_000
	MaxDataFields = 256
)

// Data is a scenario's test data: rows of named fields, read with the
// suite, that its steps use as {{row.FIELD}}.
type Data struct {
	// File is the file as the suite names it.
	File   string
	Order  string
	Fields []string
	Rows   [][]string
}

// Field returns the index of a field, or -1.
func (d *Data) Field(name string) int { return slices.Index(d.Fields, name) }

// data reads {file, order}.
func (w *walker) data(n *yaml.Node) *Data {
	d := &Data{Order: OrderSequential}
	var fileNode *yaml.Node
	seen := w.mapping(n, "data", []field{
		{"file", func(v *yaml.Node) {
			if s, ok := w.scalar(v, "file"); ok {
				fileNode, d.File = s, s.Value
			}
		}},
		{"order", func(v *yaml.Node) {
			s, ok := w.scalar(v, "order")
			if !ok {
				return
			}
			if !slices.Contains(Orders, s.Value) {
				w.at(s, "order must be one of %s, not %s%s", strings.Join(Orders, ", "), describe(s), didYouMean(s.Value, Orders))
				return
			}
			d.Order = s.Value
		}},
	})
	if seen == nil {
		return nil
	}
	w.require(n, "data", seen, "file")
	if fileNode == nil {
		return nil
	}
	raw, ok := w.readSuiteFile(fileNode, "data file", d.File, MaxDataBytes)
	if !ok {
		return nil
	}
	path := w.suitePath(d.File)
	var problems []Problem
	if strings.HasSuffix(strings.ToLower(d.File), ".json") {
		d.Fields, d.Rows, problems = readJSONRows(path, raw)
	} else {
		d.Fields, d.Rows, problems = readCSVRows(path, raw)
	}
	for _, p := range problems {
		p.Msg = Redact(p.Msg, w.secrets)
		w.problems = append(w.problems, p)
	}
	if len(problems) > 0 {
		return nil
	}
	if len(d.Rows) == 0 {
		w.at(fileNode, "data file %s has no rows", d.File)
		return nil
	}
	return d
}

// readCSVRows reads a CSV file whose first record names the fields. Every
// problem says its line and column in the file, and the row it is in.
func readCSVRows(path string, raw []byte) (fields []string, rows [][]string, problems []Problem) {
	at := func(line, col int, format string, args ...any) {
		problems = append(problems, Problem{File: path, Line: max(line, 1), Column: max(col, 1), Msg: fmt.Sprintf(format, args...)})
	}
	// A BOM some spreadsheets write would make a quoted first field a
	// bare quote.
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff"))))
	r.ReuseRecord = false
	header, err := r.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			at(1, 1, "the data file is empty: its first line must name the fields")
		} else {
			csvProblem(at, err, 0)
		}
		return nil, nil, problems
	}
	if len(header) > MaxDataFields {
		at(1, 1, "%d fields: at most %d", len(header), MaxDataFields)
		return nil, nil, problems
	}
	for i, name := range header {
		line, col := r.FieldPos(i)
		if !validFieldName(name) {
			at(line, col, "field %d: %q cannot name a field (letters, digits, _ and -)", i+1, name)
		} else if slices.Contains(header[:i], name) {
			at(line, col, "field %q is named twice", name)
		}
	}
	if len(problems) > 0 {
		return nil, nil, problems
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			csvProblem(at, err, len(rows)+len(problems)+1)
			if len(problems) >= 10 {
				break
			}
			continue
		}
		if len(rows) == MaxDataRows {
			line, _ := r.FieldPos(0)
			at(line, 1, "more than %d rows", MaxDataRows)
			break
		}
		rows = append(rows, rec)
	}
	return header, rows, problems
}

// csvProblem reports a CSV error at its position, saying which row it is
// in (row 0: the header line).
func csvProblem(at func(line, col int, format string, args ...any), err error, row int) {
	where := "the header"
	if row > 0 {
		where = fmt.Sprintf("row %d", row)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			at(pe.Line, pe.Column, "%s (line %d): %v (every row must have every field of the first line)", where, pe.Line, pe.Err)
			return
		}
		at(pe.Line, pe.Column, "%s (line %d, column %d): %v", where, pe.Line, pe.Column, pe.Err)
		return
	}
	at(1, 1, "%v", err)
}

// readJSONRows reads a JSON array of flat objects; the first one names the
// fields, and every other must have the same.
func readJSONRows(path string, raw []byte) (fields []string, rows [][]string, problems []Problem) {
	at := func(offset int64, format string, args ...any) {
		line, col := lineCol(raw, offset)
		problems = append(problems, Problem{File: path, Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('[') {
		at(skipJSONSpace(raw, 0, false), "a JSON data file must hold an array of objects")
		return nil, nil, problems
	}
	for row := 1; dec.More(); row++ {
		// The decoder stands before the comma that ends the last row.
		start := skipJSONSpace(raw, dec.InputOffset(), row > 1)
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			at(rowErrorOffset(raw, start, err), "row %d: %v", row, err)
			return nil, nil, problems
		}
		if fields == nil {
			for k := range obj {
				fields = append(fields, k)
			}
			sort.Strings(fields)
			if len(fields) == 0 || len(fields) > MaxDataFields {
				at(start, "row 1 must have 1..%d fields, not %d", MaxDataFields, len(fields))
				return nil, nil, problems
			}
			for _, f := range fields {
				if !validFieldName(f) {
					at(start, "row 1: %q cannot name a field (letters, digits, _ and -)", f)
				}
			}
		}
		rec := make([]string, len(fields))
		for i, f := range fields {
			v, ok := obj[f]
			if !ok {
				at(start, "row %d has no field %q (every row must have the fields of the first)", row, f)
				continue
			}
			s, ok := scalarText(v)
			if !ok {
				at(start, "row %d, field %q: a value must be a string, number or boolean", row, f)
				continue
			}
			rec[i] = s
		}
		if len(obj) > len(fields) {
			for k := range obj {
				if !slices.Contains(fields, k) {
					at(start, "row %d has field %q, which row 1 has not", row, k)
				}
			}
		}
		if len(problems) >= 10 {
			return nil, nil, problems
		}
		if len(rows) == MaxDataRows {
			at(start, "more than %d rows", MaxDataRows)
			return nil, nil, problems
		}
		rows = append(rows, rec)
	}
	if _, err := dec.Token(); err != nil {
		if errors.Is(err, io.EOF) {
			at(dec.InputOffset(), "the array of rows is not closed: a ] is missing at the end")
		} else {
			at(dec.InputOffset(), "%v", err)
		}
		return fields, rows, problems
	}
	if end := skipJSONSpace(raw, dec.InputOffset(), false); end < int64(len(raw)) {
		at(end, "the array of rows must end the file, not be followed by more")
	}
	return fields, rows, problems
}

// scalarText writes a JSON scalar as a template would insert it.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	case nil:
		return "", true
	default:
		return "", false
	}
}

// skipJSONSpace returns the offset of the first byte from offset on that
// is not JSON white space (nor, with comma, the first comma).
func skipJSONSpace(raw []byte, offset int64, comma bool) int64 {
	for ; offset < int64(len(raw)); offset++ {
		switch c := raw[offset]; {
		case c == ' ', c == '\t', c == '\r', c == '\n':
		case c == ',' && comma:
			comma = false
		default:
			return offset
		}
	}
	return offset
}

// rowErrorOffset is where the error decoding the row at start lies. The
// offsets of the stream decoder's syntax errors leave out what its Token
// read, and a type error's are the row's own, so a syntax error is found
// again by decoding the row alone; any other error is the row's as a whole.
func rowErrorOffset(raw []byte, start int64, err error) int64 {
	var se *json.SyntaxError
	if !errors.As(err, &se) {
		return start
	}
	var v any
	if err := json.NewDecoder(bytes.NewReader(raw[start:])).Decode(&v); errors.As(err, &se) {
		return start + max(se.Offset-1, 0) // the byte read last
	}
	return start
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, offset int64) (int, int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(offset) - bytes.LastIndexByte(before, '\n')
	return line, col
}
