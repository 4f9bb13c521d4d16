package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		lim       Limits
		wantKinds []ColumnKind
		want      [][]string // header then cells, as Text returns them
	}{
		{
			name:      "plain",
			in:        "ward,tpr,state\nW1,0.25,Kano\nW2,0.5,Lagos\n",
			wantKinds: []ColumnKind{ColumnText, ColumnNumeric, ColumnText},
			want:      [][]string{{"ward", "tpr", "state"}, {"W1", "0.25", "Kano"}, {"W2", "0.5", "Lagos"}},
		},
		{
			name:      "no final newline",
			in:        "ward,tpr\nW1,1",
			wantKinds: []ColumnKind{ColumnText, ColumnNumeric},
			want:      [][]string{{"ward", "tpr"}, {"W1", "1"}},
		},
		{
			name:      "crlf",
			in:        "ward,tpr\r\nW1,1\r\nW2,2\r\n",
			wantKinds: []ColumnKind{ColumnText, ColumnNumeric},
			want:      [][]string{{"ward", "tpr"}, {"W1", "1"}, {"W2", "2"}},
		},
		{
			name:      "byte order mark is dropped",
			in:        "\uFEFFward,tpr\nW1,1\n",
			wantKinds: []ColumnKind{ColumnText, ColumnNumeric},
			want:      [][]string{{"ward", "tpr"}, {"W1", "1"}},
		},
		{
			name:      "quoting",
			in:        "ward,name,pop\nW1,\"Gwale, \"\"North\"\"\",10\nW2,\"two\nlines\",20\n",
			wantKinds: []ColumnKind{ColumnText, ColumnText, ColumnNumeric},
			want:      [][]string{{"ward", "name", "pop"}, {"W1", `Gwale, "North"`, "10"}, {"W2", "two\nlines", "20"}},
		},
		{
			name:      "blank lines are skipped",
			in:        "\nward,tpr\n\nW1,1\n\n\nW2,2\n\n",
			wantKinds: []ColumnKind{ColumnText, ColumnNumeric},
			want:      [][]string{{"ward", "tpr"}, {"W1", "1"}, {"W2", "2"}},
		},
		{
			name:      "empty numeric cell",
			in:        "ward,tpr\nW1,1\nW2,\nW3,3\n",
			wantKinds: []ColumnKind{ColumnText, ColumnNumeric},
			want:      [][]string{{"ward", "tpr"}, {"W1", "1"}, {"W2", ""}, {"W3", "3"}},
		},
		{
			name:      "leading empty cells do not decide the kind",
			in:        "ward,tpr\nW1,\nW2,\nW3,0.5\n",
			wantKinds: []ColumnKind{ColumnText, ColumnNumeric},
			want:      [][]string{{"ward", "tpr"}, {"W1", ""}, {"W2", ""}, {"W3", "0.5"}},
		},
		{
			name:      "all empty column is text",
			in:        "ward,notes\nW1,\nW2,\n",
			wantKinds: []ColumnKind{ColumnText, ColumnText},
			want:      [][]string{{"ward", "notes"}, {"W1", ""}, {"W2", ""}},
		},
		{
			name:      "first non-number makes a text column",
			in:        "ward,code\nW1,A12\nW2,12\n",
			wantKinds: []ColumnKind{ColumnText, ColumnText},
			want:      [][]string{{"ward", "code"}, {"W1", "A12"}, {"W2", "12"}},
		},
		{
			name:      "NaN and Inf text are not numbers",
			in:        "ward,a,b\nW1,NaN,Inf\n",
			wantKinds: []ColumnKind{ColumnText, ColumnText, ColumnText},
			want:      [][]string{{"ward", "a", "b"}, {"W1", "NaN", "Inf"}},
		},
		{
			name:      "numeric key stays text",
			in:        "id,v\n007,1\n8,2\n",
			wantKinds: []ColumnKind{ColumnText, ColumnNumeric},
			want:      [][]string{{"id", "v"}, {"007", "1"}, {"8", "2"}},
		},
		{
			name:      "number forms",
			in:        "k,v\na,+1.5\nb,-.5\nc,3.\nd,1E3\ne,2e-2\n",
			wantKinds: []ColumnKind{ColumnText, ColumnNumeric},
			want:      [][]string{{"k", "v"}, {"a", "1.5"}, {"b", "-0.5"}, {"c", "3"}, {"d", "1000"}, {"e", "0.02"}},
		},
		{
			name:      "spaces are text",
			in:        "k,v\na, 1\n",
			wantKinds: []ColumnKind{ColumnText, ColumnText},
			want:      [][]string{{"k", "v"}, {"a", " 1"}},
		},
		{
			name:      "every limit met exactly",
			in:        "k,abcd\nw1,1234\nw2,5\n",
			lim:       Limits{MaxBytes: 22, MaxRows: 2, MaxColumns: 2, MaxCellBytes: 4},
			wantKinds: []ColumnKind{ColumnText, ColumnNumeric},
			want:      [][]string{{"k", "abcd"}, {"w1", "1234"}, {"w2", "5"}},
		},
		{
			name:      "largest limits do not overflow",
			in:        "k,v\nw1,1\n",
			lim:       Limits{MaxBytes: math.MaxInt64, MaxRows: math.MaxInt, MaxColumns: math.MaxInt, MaxCellBytes: math.MaxInt},
			wantKinds: []ColumnKind{ColumnText, ColumnNumeric},
			want:      [][]string{{"k", "v"}, {"w1", "1"}},
		},
		{
			name:      "unicode text",
			in:        "k,name\nw1,Ìbàdàn ✓\n",
			wantKinds: []ColumnKind{ColumnText, ColumnText},
			want:      [][]string{{"k", "name"}, {"w1", "Ìbàdàn ✓"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := MustParse(t, tt.in, tt.lim)
			if got, want := d.Header, tt.want[0]; !slices.Equal(got, want) {
				t.Fatalf("header = %q, want %q", got, want)
			}
			if got, want := d.Kinds, tt.wantKinds; !slices.Equal(got, want) {
				t.Fatalf("kinds = %v, want %v", got, want)
			}
			var got [][]string
			for r := range d.Rows() {
				row := make([]string, d.Columns())
				for c := range row {
					row[c] = d.Text(r, c)
				}
				got = append(got, row)
			}
			if want := tt.want[1:]; !slices.EqualFunc(got, want, slices.Equal) {
				t.Fatalf("cells = %q, want %q", got, want)
			}
		})
	}
}

func TestParseNumbers(t *testing.T) {
	d := MustParse(t, "k,v\na,1\nb,\nc,-0\nd,1e-400\ne,4.9e-324\n", Limits{})
	tests := []struct {
		name string
		row  int
		want float64
	}{
		{"integer", 0, 1},
		{"empty is NaN", 1, math.NaN()},
		{"negative zero kept", 2, math.Copysign(0, -1)},
		{"underflow rounds to zero", 3, 0},
		{"subnormal kept", 4, 5e-324},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := d.Number(tt.row, 1), tt.want
			if math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Fatalf("Number(%d, 1) = %v (bits %x), want %v", tt.row, got, math.Float64bits(got), want)
			}
		})
	}
}

func TestParseSyntaxErrors(t *testing.T) {
	var rows strings.Builder
	rows.WriteString("ward,name,tpr\n")
	for i := 2; i < 17; i++ {
		fmt.Fprintf(&rows, "W%d,n,0.%d\n", i, i)
	}
	rows.WriteString("W17,n,abc\n")

	tests := []struct {
		name       string
		in         string
		wantRow    int
		wantColumn int
		wantLine   int // 0: same as the row
		wantMsg    string
	}{
		{"empty file", "", 1, 0, 0, "the file is empty"},
		{"byte order mark only", "\uFEFF", 1, 0, 0, "the file is empty"},
		{"blank lines only", "\n\r\n\n", 1, 0, 0, "the file is empty"},
		{"header only", "ward,tpr\n", 2, 0, 0, "no data rows"},
		{"one column", "ward\nW1\n", 1, 2, 0, "need a key column and at least one more"},
		{"empty column name", "ward,,tpr\nW1,a,1\n", 1, 2, 0, "empty column name"},
		{"blank column name", "ward, ,tpr\nW1,a,1\n", 1, 2, 0, "empty column name"},
		{"duplicate column name", "ward,tpr,tpr\nW1,1,2\n", 1, 3, 0, `duplicate column name "tpr" (also column 2)`},
		{"invalid UTF-8 name", "ward,t\xffpr\nW1,1\n", 1, 2, 0, "not valid UTF-8"},
		{"missing field", "ward,a,b\nW1,1,2\nW2,1\n", 3, 3, 0, "the row has 2 fields, the header has 3"},
		{"too many fields", "ward,a\nW1,1\nW2,1,2\n", 3, 3, 0, "too many fields: the header has 2"},
		{"bare quote", "ward,a\nW1,x\"y\n", 2, 2, 0, `a " appears in an unquoted field`},
		{"text after closing quote", "ward,a\nW1,\"x\"y\n", 2, 2, 0, `a closing " must be followed by a comma`},
		{"unterminated quote", "ward,a\nW1,\"x\nW2,1\n", 2, 2, 0, "not closed before the end of the file"},
		{"row after a multi-line field", "ward,name,v\nW1,\"two\nlines\",1\nW2,x,oops\n", 3, 3, 4, `"oops" is not a number; the column is numeric from row 2`},
		{"row after blank lines", "ward,v\nW0,1\n\n\nW1,x\n", 3, 2, 5, `"x" is not a number`},
		{"empty key", "ward,v\n,1\n", 2, 1, 0, "empty key"},
		{"blank key", "ward,v\n  ,1\n", 2, 1, 0, "empty key"},
		{"duplicate key", "ward,v\nW1,1\nW2,2\nW1,3\n", 4, 1, 0, `duplicate key "W1" (also row 2)`},
		{"not a number", rows.String(), 17, 3, 0, `"abc" is not a number; the column is numeric from row 2`},
		{"numeric from a later row", "ward,v\nW1,\nW2,\nW3,1\nW4,x\n", 5, 2, 0, "the column is numeric from row 4"},
		{"NaN text in a numeric column", "ward,v\nW1,1\nW2,NaN\n", 3, 2, 0, `"NaN" is not a number`},
		{"Inf text in a numeric column", "ward,v\nW1,1\nW2,-Inf\n", 3, 2, 0, `"-Inf" is not a number`},
		{"hex in a numeric column", "ward,v\nW1,1\nW2,0x10\n", 3, 2, 0, "is not a number"},
		{"digit separators in a numeric column", "ward,v\nW1,1\nW2,1_000\n", 3, 2, 0, "is not a number"},
		{"number out of range", "ward,v\nW1,1\nW2,1e999\n", 3, 2, 0, `"1e999" is out of range`},
		{"invalid UTF-8 cell", "ward,v\nW1,a\nW2,\xc3\x28\n", 3, 2, 0, "not valid UTF-8"},
		{"long cell cut in the message", "ward,v\nW1,1\nW2," + strings.Repeat("x", 100) + "\n", 3, 2, 0, `"` + strings.Repeat("x", 40) + `"…`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in), Limits{})
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error = %v (%T), want *SyntaxError", err, err)
			}
			if got, want := se.Row, tt.wantRow; got != want {
				t.Errorf("row = %d, want %d (%v)", got, want, err)
			}
			if got, want := se.Column, tt.wantColumn; got != want {
				t.Errorf("column = %d, want %d (%v)", got, want, err)
			}
			if tt.wantLine != 0 {
				if got, want := se.Line, tt.wantLine; got != want {
					t.Errorf("line = %d, want %d (%v)", got, want, err)
				}
			}
			if got, want := se.Msg, tt.wantMsg; !strings.Contains(got, want) {
				t.Errorf("message = %q, want it to contain %q", got, want)
			}
		})
	}
}

func TestSyntaxErrorText(t *testing.T) {
	tests := []struct {
		name string
		err  *SyntaxError
		want string
	}{
		{"named column", &SyntaxError{Row: 17, Column: 3, Line: 17, Name: "tpr", Msg: `"abc" is not a number`}, `row 17, column 3 (tpr): "abc" is not a number`},
		{"line differs", &SyntaxError{Row: 3, Column: 2, Line: 5, Msg: "x"}, "row 3 (line 5), column 2: x"},
		{"whole row", &SyntaxError{Row: 2, Msg: "no data rows after the header"}, "row 2: no data rows after the header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.err.Error(), tt.want; got != want {
				t.Fatalf("Error() = %q, want %q", got, want)
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	tests := []struct {
		name       string
		in         string
		lim        Limits
		wantWhat   string
		wantRow    int
		wantColumn int
		wantText   string
	}{
		{"bytes", "ward,v\nW1,1\nW2,2\n", Limits{MaxBytes: 12}, LimitBytes, 0, 0, "upload larger than 12 bytes"},
		{"bytes win over a later syntax error", "ward,v\nW1,1\nW2,x\"\n", Limits{MaxBytes: 8}, LimitBytes, 0, 0, "upload larger than 8 bytes"},
		{"bytes count the byte order mark", "\uFEFFk,v\na,1\n", Limits{MaxBytes: 10}, LimitBytes, 0, 0, ""},
		{"rows", "ward,v\nW1,1\nW2,2\nW3,3\n", Limits{MaxRows: 2}, LimitRows, 0, 0, "more than 2 data rows"},
		{"columns", "a,b,c,d\n1,2,3,4\n", Limits{MaxColumns: 3}, LimitColumns, 0, 0, "more than 3 columns"},
		{"cell", "ward,v\nW1,12345\n", Limits{MaxCellBytes: 4}, LimitCellBytes, 2, 2, "row 2, column 2: cell longer than 4 bytes"},
		{"quoted cell across lines", "ward,v\nW1,\"ab\ncd\"\n", Limits{MaxCellBytes: 4}, LimitCellBytes, 2, 2, ""},
		{"quoted cell with quotes", "ward,v\nW1,\"a\"\"\"\"\"\"b\"\n", Limits{MaxCellBytes: 4}, LimitCellBytes, 2, 2, ""},
		{"header cell", "ward,abcde\nW1,1\n", Limits{MaxCellBytes: 4}, LimitCellBytes, 1, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tt.in), tt.lim)
			var le *LimitError
			if !errors.As(err, &le) {
				t.Fatalf("error = %v (%T), want *LimitError", err, err)
			}
			if got, want := le.What, tt.wantWhat; got != want {
				t.Errorf("what = %q, want %q", got, want)
			}
			if got, want := [2]int{le.Row, le.Column}, [2]int{tt.wantRow, tt.wantColumn}; got != want {
				t.Errorf("row, column = %v, want %v", got, want)
			}
			if tt.wantText != "" {
				if got, want := le.Error(), tt.wantText; got != want {
					t.Errorf("Error() = %q, want %q", got, want)
				}
			}
		})
	}
}

func TestZeroLimitsMeanDefaults(t *testing.T) {
	got, want := Limits{}.orDefault(), DefaultLimits
	if got != want {
		t.Fatalf("zero limits = %+v, want %+v", got, want)
	}
	got = Limits{MaxBytes: -1, MaxRows: 5}.orDefault()
	want = DefaultLimits
	want.MaxRows = 5
	if got != want {
		t.Fatalf("partial limits = %+v, want %+v", got, want)
	}
}

// endless is an upload that never ends, counting what was read. With
// numbered, each repetition of row is prefixed by a fresh number, so that
// endless rows have unique keys.
type endless struct {
	row      string
	numbered bool
	pending  []byte
	n        int
	read     int64
}

func (e *endless) Read(p []byte) (int, error) {
	for len(e.pending) < len(p) {
		if e.numbered {
			e.n++
			e.pending = strconv.AppendInt(e.pending, int64(e.n), 10)
		}
		e.pending = append(e.pending, e.row...)
	}
	n := copy(p, e.pending)
	e.pending = append(e.pending[:0], e.pending[n:]...)
	e.read += int64(n)
	return n, nil
}

func TestParseStopsAtTheByteLimit(t *testing.T) {
	tests := []struct {
		name     string
		row      string
		numbered bool
	}{
		{"endless rows", ",1\n", true},
		{"one endless line", "x,", false},
		{"one endless quoted field", `"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &endless{row: tt.row, numbered: tt.numbered, pending: []byte("ward,v\n")}
			lim := Limits{MaxBytes: 1 << 20, MaxRows: 1 << 30, MaxColumns: 1 << 30, MaxCellBytes: 1 << 30}
			_, err := Parse(src, lim)
			var le *LimitError
			if !errors.As(err, &le) || le.What != LimitBytes {
				t.Fatalf("error = %v, want a byte LimitError", err)
			}
			// The limiter asks for at most one byte past the limit.
			if got, max := src.read, lim.MaxBytes+1; got > max {
				t.Fatalf("read %d bytes from an endless upload, want at most %d", got, max)
			}
		})
	}
}

func TestParseStopsEarlyOnAWideLine(t *testing.T) {
	// A megabyte of commas is a million fields; the column limit must stop
	// the reader after 65, not after it has split the line.
	in := "k" + strings.Repeat(",", 1<<20) + "\n"
	allocs := testing.AllocsPerRun(5, func() {
		_, err := Parse(strings.NewReader(in), Limits{})
		var le *LimitError
		if !errors.As(err, &le) || le.What != LimitColumns {
			t.Fatalf("error = %v, want a column LimitError", err)
		}
	})
	if allocs > 100 {
		t.Fatalf("%v allocations for a rejected wide line, want a handful", allocs)
	}
}

// failingReader fails after its content, like a client that disconnects.
type failingReader struct{ r io.Reader }

var errDisconnected = errors.New("client disconnected")

func (f failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, errDisconnected
	}
	return n, err
}

func TestParseWrapsReaderErrors(t *testing.T) {
	_, err := Parse(failingReader{strings.NewReader("ward,v\nW1,1\n")}, Limits{})
	if !errors.Is(err, errDisconnected) {
		t.Fatalf("error = %v, want it to wrap %v", err, errDisconnected)
	}
	if got, want := err.Error(), "read csv: "+errDisconnected.Error(); got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func TestAccessors(t *testing.T) {
	d := MustParse(t, "ward,tpr,state,pop\nW1,0.25,Kano,100\nW2,,Lagos,200\n", Limits{})
	if got, want := d.NumericColumns(), []int{1, 3}; !slices.Equal(got, want) {
		t.Errorf("NumericColumns() = %v, want %v", got, want)
	}
	if got, ok := d.Column("state"); !ok || got != 2 {
		t.Errorf(`Column("state") = %d, %v; want 2, true`, got, ok)
	}
	if _, ok := d.Column("nope"); ok {
		t.Error(`Column("nope") found a column`)
	}
	tests := []struct {
		name       string
		row, col   int
		wantText   string
		wantNumber float64 // NaN: want NaN
	}{
		{"key", 1, 0, "W2", math.NaN()},
		{"number", 0, 1, "0.25", 0.25},
		{"empty number", 1, 1, "", math.NaN()},
		{"text", 0, 2, "Kano", math.NaN()},
		{"row out of range", 2, 0, "", math.NaN()},
		{"negative row", -1, 1, "", math.NaN()},
		{"column out of range", 0, 4, "", math.NaN()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := d.Text(tt.row, tt.col), tt.wantText; got != want {
				t.Errorf("Text = %q, want %q", got, want)
			}
			got, want := d.Number(tt.row, tt.col), tt.wantNumber
			if got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Errorf("Number = %v, want %v", got, want)
			}
		})
	}
	if got, want := d.Key(0), "W1"; got != want {
		t.Errorf("Key(0) = %q, want %q", got, want)
	}
}

func TestParseDatagenOutput(t *testing.T) {
	for seed := range int64(5) {
		in := MustGenerate(t, datagenSpec(seed))
		d, err := Parse(bytes.NewReader(in), Limits{})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if got, want := d.Rows(), datagenSpec(seed).Rows; got != want {
			t.Fatalf("seed %d: %d rows, want %d", seed, got, want)
		}
		if got, want := len(d.NumericColumns()), d.Columns()-4; got != want {
			t.Fatalf("seed %d: %d numeric columns, want %d", seed, got, want)
		}
	}
}
