package dataset

import (
	"bytes"
	"math"
	"slices"
	"strings"
	"testing"

	"loadharness/datagen"
)

// MustParse parses in under lim or fails the test.
func MustParse(tb testing.TB, in string, lim Limits) *DataSet {
	tb.Helper()
	d, err := Parse(strings.NewReader(in), lim)
	if err != nil {
		tb.Fatalf("Parse: %v", err)
	}
	return d
}

// MustGenerate returns a datagen CSV body or fails the test.
func MustGenerate(tb testing.TB, s datagen.Spec) []byte {
	tb.Helper()
	b, err := datagen.Bytes(s)
	if err != nil {
		tb.Fatalf("datagen: %v", err)
	}
	return b
}

// MustMarshal encodes d or fails the test.
func MustMarshal(tb testing.TB, d *DataSet) []byte {
	tb.Helper()
	b, err := d.MarshalBinary()
	if err != nil {
		tb.Fatalf("MarshalBinary: %v", err)
	}
	return b
}

// AssertSameDataSet fails the test unless got and want hold the same names,
// kinds and cells, numbers compared bit for bit (so -0 ≠ 0) except that any
// NaN equals any NaN.
func AssertSameDataSet(tb testing.TB, got, want *DataSet) {
	tb.Helper()
	if !slices.Equal(got.Header, want.Header) {
		tb.Fatalf("header = %q, want %q", got.Header, want.Header)
	}
	if !slices.Equal(got.Kinds, want.Kinds) {
		tb.Fatalf("kinds = %v, want %v", got.Kinds, want.Kinds)
	}
	if got.Rows() != want.Rows() || got.Columns() != want.Columns() {
		tb.Fatalf("shape = %d×%d, want %d×%d", got.Rows(), got.Columns(), want.Rows(), want.Columns())
	}
	for c := range want.Columns() {
		for r := range want.Rows() {
			if want.Kinds[c] == ColumnText {
				if g, w := got.Text(r, c), want.Text(r, c); g != w {
					tb.Fatalf("row %d, column %d = %q, want %q", r, c, g, w)
				}
				continue
			}
			g, w := got.Number(r, c), want.Number(r, c)
			if math.Float64bits(g) != math.Float64bits(w) && !(math.IsNaN(g) && math.IsNaN(w)) {
				tb.Fatalf("row %d, column %d = %v, want %v", r, c, g, w)
			}
		}
	}
}

// AssertRoundTrip checks that d survives MarshalBinary and Decode under lim
// exactly, that the encoding is canonical (re-encoding the decoded data set
// gives the same bytes) and that the checksum is kept.
func AssertRoundTrip(tb testing.TB, d *DataSet, lim Limits) {
	tb.Helper()
	enc := MustMarshal(tb, d)
	back, err := Decode(enc, lim)
	if err != nil {
		tb.Fatalf("Decode(MarshalBinary()): %v", err)
	}
	AssertSameDataSet(tb, back, d)
	if got, want := MustMarshal(tb, back), enc; !bytes.Equal(got, want) {
		tb.Fatalf("re-encoding differs: %d bytes, want %d", len(got), len(want))
	}
	if got, want := back.Checksum(), d.Checksum(); got != want {
		tb.Fatalf("checksum after round trip = %s, want %s", got, want)
	}
}

// datagenSpec varies the generated file with the seed: size, width and gaps.
func datagenSpec(seed int64) datagen.Spec {
	return datagen.Spec{
		Rows:       50 + int(seed)*97,
		Indicators: 1 + int(seed)%len(datagen.IndicatorNames),
		Seed:       seed,
		Missing:    float64(seed%3) * 0.1,
	}
}
