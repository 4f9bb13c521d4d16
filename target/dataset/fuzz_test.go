package dataset

import (
	"bytes"
	"errors"
	"testing"
	"unicode/utf8"
)

// FuzzRecordReader holds recordReader to its claim of splitting CSV exactly
// as encoding/csv does.
func FuzzRecordReader(f *testing.F) {
	for _, s := range []string{
		"a,b\nc,d\n", "a,b\r\nc,d", "\"a,b\",\"c\"\"d\"\n", "\"x\ny\",z\r\n\r\n", "a\"b\n",
		"\"a\"b\n", "\"abc", "a\r", "\r\n\n,", " \"a\",b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		assertMatchesEncodingCSV(t, in)
	})
}

// FuzzParse checks that Parse never panics, fails only with its typed
// errors, and that whatever it accepts survives MarshalBinary and Decode
// exactly with its checksum. Three bytes of the input pick small limits so
// that the limit paths are fuzzed too.
func FuzzParse(f *testing.F) {
	seeds := []string{
		"ward,tpr\nW1,0.5\nW2,\n",
		"\uFEFFk,v,t\r\nb,-0,\"x\ny\"\r\n",
		"k,v\na,\nb,1e999\n",
		"k,v\na,NaN\nb,1\n",
		"k,k\na,1\n",
		"k,v\na,1\na,2\n",
		"k\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(255), uint8(255), uint8(255))
	}
	f.Add(MustGenerate(f, datagenSpec(1))[:2000], uint8(255), uint8(255), uint8(255))
	f.Add([]byte("k,v,w\na,1,2\nb,3,4\nc,5,6\n"), uint8(1), uint8(2), uint8(1))
	f.Fuzz(func(t *testing.T, in []byte, rows, cols, cell uint8) {
		lim := Limits{
			MaxBytes:     1 << 16,
			MaxRows:      int(rows) + 1,
			MaxColumns:   int(cols)%64 + 1,
			MaxCellBytes: int(cell) + 1,
		}
		d, err := Parse(bytes.NewReader(in), lim)
		if err != nil {
			var se *SyntaxError
			var le *LimitError
			switch {
			case errors.As(err, &se):
				if se.Row < 1 || se.Column < 0 || se.Msg == "" {
					t.Fatalf("malformed SyntaxError %+v", se)
				}
			case errors.As(err, &le):
				if le.Limit <= 0 {
					t.Fatalf("malformed LimitError %+v", le)
				}
			default:
				t.Fatalf("Parse error %v of type %T, want a SyntaxError or LimitError", err, err)
			}
			return
		}
		assertInvariants(t, d, lim)
		AssertRoundTrip(t, d, lim)
	})
}

// assertInvariants checks what Parse and Decode promise about a DataSet.
func assertInvariants(t *testing.T, d *DataSet, lim Limits) {
	t.Helper()
	if d.Rows() < 1 || d.Rows() > lim.MaxRows || d.Columns() < 2 || d.Columns() > lim.MaxColumns {
		t.Fatalf("shape %d×%d outside the limits %+v", d.Rows(), d.Columns(), lim)
	}
	if len(d.Header) != d.Columns() || len(d.Kinds) != d.Columns() || d.Kinds[0] != ColumnText {
		t.Fatalf("header %q and kinds %v for %d columns", d.Header, d.Kinds, d.Columns())
	}
	names := make(map[string]bool)
	for _, h := range d.Header {
		if isBlank(h) || names[h] || !utf8.ValidString(h) || len(h) > lim.MaxCellBytes {
			t.Fatalf("bad column name %q in %q", h, d.Header)
		}
		names[h] = true
	}
	keys := make(map[string]bool)
	for r := range d.Rows() {
		k := d.Key(r)
		if isBlank(k) || keys[k] {
			t.Fatalf("row %d: blank or duplicate key %q", r, k)
		}
		keys[k] = true
	}
}

// FuzzDecode checks that Decode never panics, keeps its allocation budget,
// and accepts only canonical encodings: whatever it accepts re-encodes to
// the same bytes. Each input is tried as it is and with a valid CRC appended,
// since random bytes almost never carry a valid CRC and would otherwise
// never reach the structural checks.
func FuzzDecode(f *testing.F) {
	for seed := range int64(3) {
		d, err := Parse(bytes.NewReader(MustGenerate(f, datagenSpec(seed))[:1500]), Limits{})
		if err != nil {
			continue // cutting the CSV may cut a quoted field; the other seeds suffice
		}
		enc := MustMarshal(f, d)
		f.Add(enc)
		f.Add(enc[:len(enc)-crcLen])
	}
	f.Add(forge(2, 1, "k", byte(0), "v", byte(1), "a", 1.5))
	f.Add(forge(3, 2, "k", byte(0), "t", byte(0), "v", byte(1), "a", "b", "", "x", 1.5, 2.5))
	f.Add(forge(2, 1<<20, "k", byte(0), "v", byte(1)))
	f.Add([]byte{})
	lim := Limits{MaxRows: 1 << 20, MaxColumns: 1 << 10, MaxCellBytes: 1 << 12}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, b := range [][]byte{in, seal(in)} {
			var d *DataSet
			var err error
			got := allocatedBy(func() { d, err = Decode(b, lim) })
			if max := maxDecodeAlloc(len(b)); got > max {
				t.Fatalf("Decode of %d bytes allocated %d, want at most %d", len(b), got, max)
			}
			if err != nil {
				var ce *CorruptError
				if !errors.As(err, &ce) {
					t.Fatalf("Decode error %v of type %T, want *CorruptError", err, err)
				}
				continue
			}
			assertInvariants(t, d, lim)
			if again := MustMarshal(t, d); !bytes.Equal(again, b) {
				t.Fatalf("Decode accepted a non-canonical encoding:\n in %x\nout %x", b, again)
			}
		}
	})
}
