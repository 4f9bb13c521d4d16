package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"math"
	"runtime"
	"strings"
	"testing"
)

func TestRoundTripDatagen(t *testing.T) {
	for seed := range int64(12) {
		d, err := Parse(bytes.NewReader(MustGenerate(t, datagenSpec(seed))), Limits{})
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		AssertRoundTrip(t, d, Limits{})
	}
}

func TestRoundTripSpecialValues(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"negative zero and NaN", "k,v\na,-0\nb,\nc,0\n"},
		{"extremes", "k,v\na,1.7976931348623157e308\nb,-1.7976931348623157e308\nc,5e-324\n"},
		{"text with newlines and quotes", "k,t\na,\"x\ny\"\nb,\"\"\"\"\n"},
		{"unicode", "k,t\nÌbàdàn,日本\n"},
		{"empty text cells", "k,t,u\na,,\nb,,x\n"},
		{"long cells", "k,t\n" + strings.Repeat("k", 1000) + "," + strings.Repeat("é", 500) + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			AssertRoundTrip(t, MustParse(t, tt.in, Limits{}), Limits{})
		})
	}
}

func TestChecksum(t *testing.T) {
	base := MustParse(t, "ward,tpr,name\nW1,0.5,\"Kano\"\nW2,1,Dala\n", Limits{})
	tests := []struct {
		name string
		in   string
		same bool
	}{
		{"other spellings of the same data", "\uFEFFward,tpr,name\r\nW1,.50,Kano\r\n\r\n\"W2\",1.0e0,Dala", true},
		{"a changed cell", "ward,tpr,name\nW1,0.5,Kano\nW2,2,Dala\n", false},
		{"a renamed column", "ward,TPR,name\nW1,0.5,Kano\nW2,1,Dala\n", false},
		{"rows in another order", "ward,tpr,name\nW2,1,Dala\nW1,0.5,Kano\n", false},
		{"negative zero", "ward,tpr,name\nW1,0.5,Kano\nW2,-0,Dala\n", false},
		{"a number as text", "ward,tpr,name\nW1,0.5x,Kano\nW2,1,Dala\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := MustParse(t, tt.in, Limits{})
			if got, want := other.Checksum() == base.Checksum(), tt.same; got != want {
				t.Fatalf("checksums %s and %s: equal = %v, want %v", other.Checksum(), base.Checksum(), got, want)
			}
		})
	}
}

func TestChecksumHashesTheEncoding(t *testing.T) {
	// Large enough that Checksum streams several chunks.
	d, err := Parse(bytes.NewReader(MustGenerate(t, datagenSpec(7))), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(MustMarshal(t, d))
	got, want := d.Checksum(), hex.EncodeToString(sum[:16])
	if got != want {
		t.Fatalf("Checksum() = %s, want SHA-256 of MarshalBinary %s", got, want)
	}
	if len(got) != 32 || strings.ToLower(got) != got {
		t.Fatalf("Checksum() = %q, want 32 lowercase hex digits", got)
	}
}

func TestAppendBinary(t *testing.T) {
	d := MustParse(t, "k,v\na,1\n", Limits{})
	prefix := []byte("prefix")
	got, err := d.AppendBinary(bytes.Clone(prefix))
	if err != nil {
		t.Fatal(err)
	}
	if want := append(bytes.Clone(prefix), MustMarshal(t, d)...); !bytes.Equal(got, want) {
		t.Fatalf("AppendBinary = %x, want %x", got, want)
	}
}

func TestMarshalRefusesChangedHeader(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *DataSet)
	}{
		{"blank name", func(d *DataSet) { d.Header[1] = " " }},
		{"duplicate name", func(d *DataSet) { d.Header[2] = d.Header[1] }},
		{"invalid UTF-8 name", func(d *DataSet) { d.Header[1] = "\xff" }},
		{"shortened header", func(d *DataSet) { d.Header = d.Header[:2] }},
		{"kind that disagrees with the cells", func(d *DataSet) { d.Kinds[1] = ColumnText }},
		{"unknown kind", func(d *DataSet) { d.Kinds[2] = 7 }},
		{"zero DataSet", func(d *DataSet) { *d = DataSet{} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := MustParse(t, "k,v,t\na,1,x\n", Limits{})
			tt.change(d)
			if _, err := d.MarshalBinary(); err == nil {
				t.Fatal("MarshalBinary accepted a changed data set")
			}
			if _, err := d.AppendBinary(nil); err == nil {
				t.Fatal("AppendBinary accepted a changed data set")
			}
			_ = d.Checksum() // must not panic
		})
	}
}

// seal appends the CRC that Decode expects, so a test can forge a body that
// passes the integrity check and reaches the structural checks.
func seal(body []byte) []byte {
	return binary.LittleEndian.AppendUint32(bytes.Clone(body), crc32.Checksum(body, castagnoli))
}

// forge builds a body field by field: ints become uvarints, strings become
// length-prefixed strings, bytes and []byte are copied as they are.
func forge(parts ...any) []byte {
	b := []byte(encodingMagic + "\x01")
	for _, p := range parts {
		switch v := p.(type) {
		case int:
			b = binary.AppendUvarint(b, uint64(v))
		case string:
			b = binary.AppendUvarint(b, uint64(len(v)))
			b = append(b, v...)
		case byte:
			b = append(b, v)
		case []byte:
			b = append(b, v...)
		case float64:
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		default:
			panic("forge: unsupported part")
		}
	}
	return b
}

func TestForgeMatchesMarshal(t *testing.T) {
	// The corrupt cases below are only meaningful if forge speaks the format.
	d := MustParse(t, "k,v\na,1.5\n", Limits{})
	got, want := seal(forge(2, 1, "k", byte(0), "v", byte(1), "a", 1.5)), MustMarshal(t, d)
	if !bytes.Equal(got, want) {
		t.Fatalf("forge = %x, want %x", got, want)
	}
}

func TestDecodeRefusesCorruptBytes(t *testing.T) {
	valid := MustMarshal(t, MustParse(t, "k,v\na,1.5\n", Limits{}))
	badCRC := bytes.Clone(valid)
	badCRC[len(badCRC)-1] ^= 1
	nonCanonicalNaN := math.Float64frombits(canonicalNaN ^ 2)
	lim := Limits{MaxRows: 10, MaxColumns: 4, MaxCellBytes: 8}
	tests := []struct {
		name string
		in   []byte
	}{
		{"nil", nil},
		{"too short", valid[:8]},
		{"bad magic", seal(append([]byte("XXXX\x01"), forge(2, 1, "k", byte(0), "v", byte(1), "a", 1.5)[5:]...))},
		{"unknown version", seal(append([]byte(encodingMagic+"\x02"), forge(2, 1, "k", byte(0), "v", byte(1), "a", 1.5)[5:]...))},
		{"bad CRC", badCRC},
		{"one column", seal(forge(1, 1, "k", byte(0), "a"))},
		{"too many columns", seal(forge(5, 1, "a", byte(0), "b", byte(0), "c", byte(0), "d", byte(0), "e", byte(0), "1", "2", "3", "4", "5"))},
		{"no rows", seal(forge(2, 0, "k", byte(0), "v", byte(1)))},
		{"too many rows", seal(forge(2, 11, "k", byte(0), "v", byte(1)))},
		{"rows beyond the bytes", seal(forge(2, 9, "k", byte(0), "v", byte(1), "a", 1.5))},
		{"columns beyond the bytes", seal(forge(4, 1, "k", byte(0)))},
		{"varint not minimal", seal(forge([]byte{0x82, 0x00}, 1, "k", byte(0), "v", byte(1), "a", 1.5))},
		{"varint overflow", seal(forge(bytes.Repeat([]byte{0xff}, 11)))},
		{"name too long", seal(forge(2, 1, "k", byte(0), "abcdefghi", byte(1), "a", 1.5))},
		{"name past the end", seal(forge(2, 1, "k", byte(0), 200))},
		{"blank name", seal(forge(2, 1, "k", byte(0), " ", byte(1), "a", 1.5))},
		{"invalid UTF-8 name", seal(forge(2, 1, "k", byte(0), "\xff", byte(1), "a", 1.5))},
		{"duplicate name", seal(forge(2, 1, "k", byte(0), "k", byte(1), "a", 1.5))},
		{"unknown kind", seal(forge(2, 1, "k", byte(0), "v", byte(2), "a", 1.5))},
		{"numeric key", seal(forge(2, 1, "k", byte(1), "v", byte(1), 1.0, 1.5))},
		{"blank key", seal(forge(2, 1, "k", byte(0), "v", byte(1), " ", 1.5))},
		{"duplicate key", seal(forge(2, 2, "k", byte(0), "v", byte(1), "a", "a", 1.5, 2.5))},
		{"invalid UTF-8 cell", seal(forge(3, 1, "k", byte(0), "t", byte(0), "v", byte(1), "a", "\xc3(", 1.5))},
		{"cell too long", seal(forge(2, 1, "k", byte(0), "v", byte(0), "a", "abcdefghi"))},
		{"numbers missing", seal(forge(2, 1, "k", byte(0), "v", byte(1), "a"))},
		{"numbers short", seal(forge(2, 1, "k", byte(0), "v", byte(1), "a", []byte{1, 2, 3}))},
		{"trailing bytes", seal(forge(2, 1, "k", byte(0), "v", byte(1), "a", 1.5, byte(0)))},
		{"trailing bytes after text", seal(forge(2, 1, "k", byte(0), "v", byte(0), "a", "b", byte(0)))},
		{"infinity", seal(forge(2, 1, "k", byte(0), "v", byte(1), "a", math.Inf(-1)))},
		{"non-canonical NaN", seal(forge(2, 1, "k", byte(0), "v", byte(1), "a", nonCanonicalNaN))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Decode(tt.in, lim)
			var ce *CorruptError
			if !errors.As(err, &ce) {
				t.Fatalf("Decode = %v, %v; want a *CorruptError", d, err)
			}
			if d != nil {
				t.Fatal("Decode returned a data set with its error")
			}
			if ce.Offset < 0 || ce.Offset > len(tt.in) {
				t.Fatalf("error offset %d outside the %d input bytes", ce.Offset, len(tt.in))
			}
		})
	}
}

func TestDecodeRefusesEveryTruncationAndBitFlip(t *testing.T) {
	valid := MustMarshal(t, MustParse(t, "k,v,t\na,1.5,x\nb,,y\n", Limits{}))
	for n := range len(valid) {
		if _, err := Decode(valid[:n], Limits{}); err == nil {
			t.Fatalf("Decode accepted the first %d of %d bytes", n, len(valid))
		}
	}
	for i := range valid {
		for bit := range 8 {
			flipped := bytes.Clone(valid)
			flipped[i] ^= 1 << bit
			if _, err := Decode(flipped, Limits{}); err == nil {
				t.Fatalf("Decode accepted the encoding with bit %d of byte %d flipped", bit, i)
			}
		}
	}
}

func TestDecodeRefusesDataOverSmallerLimits(t *testing.T) {
	d := MustParse(t, "ward,name\nW1,abcdef\nW2,x\n", Limits{})
	enc := MustMarshal(t, d)
	tests := []struct {
		name string
		lim  Limits
	}{
		{"rows", Limits{MaxRows: 1}},
		{"columns", Limits{MaxColumns: 1}},
		{"cell bytes", Limits{MaxCellBytes: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ce *CorruptError
			if _, err := Decode(enc, tt.lim); !errors.As(err, &ce) {
				t.Fatalf("Decode error = %v, want a *CorruptError", err)
			}
		})
	}
}

func TestDecodeDoesNotShareMemory(t *testing.T) {
	enc := MustMarshal(t, MustParse(t, "k,t\nkey,text\n", Limits{}))
	d, err := Decode(enc, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range enc {
		enc[i] = 'X'
	}
	if got, want := d.Text(0, 1), "text"; got != want {
		t.Fatalf("after overwriting the input, cell = %q, want %q", got, want)
	}
}

// allocatedBy returns the bytes f allocates; it runs f alone (GOMAXPROCS
// aside) so the figure is f's own.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// maxDecodeAlloc is the allocation budget Decode promises for n input bytes:
// a []string header per one-byte text cell is the worst case, 16 bytes for 1,
// plus the key set; the constant covers fixed costs.
func maxDecodeAlloc(n int) uint64 { return 40*uint64(n) + 64<<10 }

func TestDecodeAllocationIsBoundedByInput(t *testing.T) {
	huge := Limits{MaxRows: 1 << 40, MaxColumns: 1 << 40, MaxCellBytes: 1 << 40}
	manyKeys := []any{2, 5000, "k", byte(0), "t", byte(0)}
	for i := range 5000 {
		manyKeys = append(manyKeys, strings.Repeat("k", 1+i%2)+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)))
	}
	for range 5000 {
		manyKeys = append(manyKeys, "")
	}
	tests := []struct {
		name   string
		in     []byte
		wantOK bool
	}{
		{"claims 2^40 rows", seal(forge(2, 1<<40, "k", byte(0), "v", byte(1), "a", 1.5)), false},
		{"claims 2^40 columns", seal(forge(1<<40, 1, "k", byte(0))), false},
		{"claims a huge string", seal(forge(2, 1, 1<<40)), false},
		{"many rows claimed, few present", seal(forge(2, 1000, "k", byte(0), "v", byte(1), "a", 1.5)), false},
		{"many tiny text cells", seal(forge(manyKeys...)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			got := allocatedBy(func() { _, err = Decode(tt.in, huge) })
			if (err == nil) != tt.wantOK {
				t.Fatalf("Decode error = %v, want success %v", err, tt.wantOK)
			}
			if max := maxDecodeAlloc(len(tt.in)); got > max {
				t.Fatalf("Decode of %d bytes allocated %d, want at most %d (error %v)", len(tt.in), got, max, err)
			}
		})
	}
}
