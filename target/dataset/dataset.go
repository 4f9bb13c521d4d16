package dataset

import (
	"math"
	"strconv"
)

// ColumnKind says how a column's cells are stored.
type ColumnKind uint8

const (
	// ColumnText holds strings; the key column is always text.
	ColumnText ColumnKind = iota
	// ColumnNumeric holds float64 values, NaN for an empty cell.
	ColumnNumeric
)

// String returns "text" or "numeric".
func (k ColumnKind) String() string {
	switch k {
	case ColumnText:
		return "text"
	case ColumnNumeric:
		return "numeric"
	default:
		return "ColumnKind(" + strconv.Itoa(int(k)) + ")"
	}
}

// DataSet is a parsed table. The first column is the row key: text, never
// blank, unique. Every other column is numeric or text as Parse decided.
//
// A DataSet comes from Parse or Decode and is not modified afterwards, so it
// may be read from many goroutines at once. Header and Kinds are exported for
// convenience and must be treated as read-only: MarshalBinary refuses a
// DataSet whose Header or Kinds were changed into something Parse would not
// produce.
type DataSet struct {
	// Header holds the column names, unique and non-blank.
	Header []string
	// Kinds holds the kind of each column; Kinds[0] is always ColumnText.
	Kinds []ColumnKind

	rows int
	// Cells are stored column-major: the encoding, the checksum and a map
	// of one indicator all walk one column at a time.
	text [][]string  // per column; nil for a numeric column
	nums [][]float64 // per column; nil for a text column
}

// Rows returns the number of data rows (at least 1).
func (d *DataSet) Rows() int { return d.rows }

// Columns returns the number of columns, key included (at least 2).
func (d *DataSet) Columns() int { return len(d.text) }

// NumericColumns returns the indexes of the numeric columns in order.
func (d *DataSet) NumericColumns() []int {
	var idx []int
	for c, col := range d.nums {
		if col != nil {
			idx = append(idx, c)
		}
	}
	return idx
}

// Column returns the index of the column named name.
func (d *DataSet) Column(name string) (int, bool) {
	for c, h := range d.Header {
		if h == name {
			return c, true
		}
	}
	return 0, false
}

// Key returns the key of row (0-based), or "" when row is out of range.
func (d *DataSet) Key(row int) string { return d.Text(row, 0) }

// Number returns the cell at row and col (both 0-based). It is NaN for an
// empty cell, a text column or an index out of range, so a caller drawing a
// map treats all three as "no data" without a second check.
func (d *DataSet) Number(row, col int) float64 {
	if !d.inRange(row, col) || d.nums[col] == nil {
		return math.NaN()
	}
	return d.nums[col][row]
}

// Text returns the cell at row and col (both 0-based) as text: the cell of a
// text column, the shortest decimal form of a number ("" for an empty one),
// or "" when an index is out of range.
func (d *DataSet) Text(row, col int) string {
	if !d.inRange(row, col) {
		return ""
	}
	if d.nums[col] != nil {
		v := d.nums[col][row]
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return d.text[col][row]
}

func (d *DataSet) inRange(row, col int) bool {
	return row >= 0 && row < d.rows && col >= 0 && col < len(d.text)
}
