package dataset

import (
	"bufio"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

// readRecords runs recordReader over in without limits, returning the
// records before the first error.
func readRecords(in string) ([][]string, error) {
	rr := &recordReader{br: bufio.NewReaderSize(strings.NewReader(in), 16), maxFields: 1 << 30, maxCell: 1 << 30}
	var recs [][]string
	for {
		rec, err := rr.read()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, slices.Clone(rec))
	}
}

// readCSVRecords is readRecords done by encoding/csv with the settings
// recordReader claims to match.
func readCSVRecords(in string) ([][]string, error) {
	r := csv.NewReader(strings.NewReader(in))
	r.FieldsPerRecord = -1
	var recs [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return recs, nil
		}
		if err != nil {
			return recs, err
		}
		recs = append(recs, rec)
	}
}

// assertMatchesEncodingCSV fails unless recordReader and encoding/csv agree
// on in: the same records, and an error at the same record or at neither.
func assertMatchesEncodingCSV(t *testing.T, in string) {
	t.Helper()
	got, gotErr := readRecords(in)
	want, wantErr := readCSVRecords(in)
	if (gotErr != nil) != (wantErr != nil) {
		t.Fatalf("input %q: error %v, encoding/csv says %v", in, gotErr, wantErr)
	}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("input %q:\n got %q\nwant %q", in, got, want)
	}
}

func TestRecordReaderMatchesEncodingCSV(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"empty", ""},
		{"one field", "a"},
		{"plain", "a,b\nc,d\n"},
		{"no final newline", "a,b\nc,d"},
		{"crlf", "a,b\r\nc,d\r\n"},
		{"trailing cr at eof", "a,b\r"},
		{"lone cr in field", "a\rb,c\n"},
		{"blank lines", "\n\na,b\n\n\r\nc,d\n\n"},
		{"empty fields", ",\n,,\n"},
		{"quoted comma", `"a,b",c` + "\n"},
		{"doubled quote", `"say ""hi""",x` + "\n"},
		{"quoted newline", "\"two\nlines\",x\n"},
		{"quoted crlf", "\"two\r\nlines\",x\r\n"},
		{"quoted empty", `"",x` + "\n"},
		{"spaces kept", " a , b \n"},
		{"bare quote", `a"b,c` + "\n"},
		{"space then quote", ` "a",b` + "\n"},
		{"text after closing quote", `"a"b,c` + "\n"},
		{"unterminated", `"abc` + "\n"},
		{"unterminated at eof", `"abc`},
		{"quote at eof", `a,"`},
		{"long line", strings.Repeat("x", 100) + "," + strings.Repeat("y", 100) + "\n"},
		{"long quoted line", `"` + strings.Repeat("x,", 100) + `"` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertMatchesEncodingCSV(t, tt.in)
		})
	}
}

func TestRecordReaderErrorField(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		wantField int
		wantErr   error
		wantLine  int
	}{
		{"bare quote in third field", "a,b,c\"d\n", 3, errBareQuote, 1},
		{"extraneous quote", "a,\"b\"c\n", 2, errQuote, 1},
		{"unterminated after lines", "x\n\"a\nb\nc", 1, errUnterminated, 2},
		{"line of the record start", "a\n\n\"b\nc\"d\n", 1, errQuote, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rr := &recordReader{br: bufio.NewReader(strings.NewReader(tt.in)), maxFields: 100, maxCell: 100}
			var err error
			for err == nil {
				_, err = rr.read()
			}
			var fe *fieldError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v, want a field error", err)
			}
			if got, want := fe.field, tt.wantField; got != want {
				t.Errorf("field = %d, want %d", got, want)
			}
			if got, want := fe.err, tt.wantErr; got != want {
				t.Errorf("err = %v, want %v", got, want)
			}
			if got, want := rr.start, tt.wantLine; got != want {
				t.Errorf("start line = %d, want %d", got, want)
			}
		})
	}
}
