package dataset

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"unicode/utf8"
)

// Decode reads a data set that MarshalBinary wrote. The bytes are treated as
// hostile: the CRC, every count and every length are checked, against lim and
// against the bytes that remain, before anything is allocated, and the result
// must satisfy everything Parse guarantees (at least two columns and one row,
// unique non-blank names and keys, valid UTF-8, finite numbers or NaN). Any
// other input gives a *CorruptError; Decode never panics and allocates at
// most a small multiple of len(b). The result does not share memory with b.
//
// lim should be the limits the data set was parsed under: a data set over a
// smaller limit is refused as corrupt rather than half-read.
func Decode(b []byte, lim Limits) (*DataSet, error) {
	lim = lim.orDefault()
	const minLen = len(encodingMagic) + 1 + 2 + crcLen
	if len(b) < minLen {
		return nil, &CorruptError{Offset: len(b), Msg: fmt.Sprintf("%d bytes is too short for a data set", len(b))}
	}
	body := b[:len(b)-crcLen]
	if string(body[:len(encodingMagic)]) != encodingMagic {
		return nil, &CorruptError{Offset: 0, Msg: "not a data set encoding (bad magic)"}
	}
	if v := body[len(encodingMagic)]; v != encodingVersion {
		return nil, &CorruptError{Offset: len(encodingMagic), Msg: fmt.Sprintf("unsupported version %d (want %d)", v, encodingVersion)}
	}
	if got, want := crc32.Checksum(body, castagnoli), binary.LittleEndian.Uint32(b[len(body):]); got != want {
		return nil, &CorruptError{Offset: len(body), Msg: fmt.Sprintf("CRC-32C is %08x, the bytes give %08x", want, got)}
	}
	dec := &decoder{b: body, off: len(encodingMagic) + 1}
	d := dec.decode(lim)
	if dec.err != nil {
		return nil, dec.err
	}
	return d, nil
}

// decoder walks the body of an encoding (without its CRC). The first
// problem sticks in err and turns every later read into a no-op, so the
// decoding code reads straight through and checks err at the points where
// it would allocate.
type decoder struct {
	b   []byte
	off int
	err *CorruptError
}

func (r *decoder) fail(at int, format string, args ...any) {
	if r.err == nil {
		r.err = &CorruptError{Offset: at, Msg: fmt.Sprintf(format, args...)}
	}
}

func (r *decoder) remaining() int { return len(r.b) - r.off }

// uvarint reads a minimal-length unsigned varint.
func (r *decoder) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail(r.off, "truncated or overflowing varint")
		return 0
	}
	// A longer encoding of the same number would break the one-encoding-
	// per-data-set rule the checksum relies on.
	if n > 1 && r.b[r.off+n-1] == 0 {
		r.fail(r.off, "varint not in its shortest form")
		return 0
	}
	r.off += n
	return v
}

// count reads a count that must lie in [lo, hi] and, at perItem bytes at
// least per item, fit in the bytes that remain.
func (r *decoder) count(what string, lo, hi, perItem int) int {
	at := r.off
	v := r.uvarint()
	if r.err != nil {
		return 0
	}
	switch {
	case v < uint64(lo):
		r.fail(at, "%d %s, want at least %d", v, what, lo)
	case v > uint64(hi):
		r.fail(at, "%d %s over the limit of %d", v, what, hi)
	case v > uint64(r.remaining()/perItem):
		r.fail(at, "%d %s cannot fit in the %d bytes left", v, what, r.remaining())
	default:
		return int(v)
	}
	return 0
}

// span reads a string of at most max bytes and returns where its bytes are.
func (r *decoder) span(max int) (start, end int) {
	at := r.off
	n := r.uvarint()
	if r.err != nil {
		return 0, 0
	}
	if n > uint64(max) {
		r.fail(at, "string of %d bytes over the limit of %d", n, max)
		return 0, 0
	}
	if n > uint64(r.remaining()) {
		r.fail(at, "string of %d bytes runs past the end", n)
		return 0, 0
	}
	start = r.off
	r.off += int(n)
	return start, r.off
}

func (r *decoder) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.remaining() < 1 {
		r.fail(r.off, "truncated")
		return 0
	}
	r.off++
	return r.b[r.off-1]
}

func (r *decoder) decode(lim Limits) *DataSet {
	// A column needs at least 3 bytes (a non-blank name and its kind), a row
	// at least 2 (a key of one byte and its length); these floors keep a
	// forged count from sizing an allocation.
	ncols := r.count("columns", 2, lim.MaxColumns, 3)
	nrows := r.count("rows", 1, lim.MaxRows, 2)
	if r.err != nil {
		return nil
	}

	// Pass 1 validates the header and the text section without allocating
	// anything proportional to the data, and finds where the text ends.
	textStart := r.off
	kinds := make([]ColumnKind, ncols)
	var numeric int
	for c := range kinds {
		at := r.off
		s, e := r.span(lim.MaxCellBytes)
		k := r.byte()
		if r.err != nil {
			return nil
		}
		if name := r.b[s:e]; len(bytes.TrimSpace(name)) == 0 || !utf8.Valid(name) {
			r.fail(at, "column %d has an empty or invalid name", c+1)
			return nil
		}
		switch {
		case k == kindByteText:
			kinds[c] = ColumnText
		case k == kindByteNumeric && c > 0:
			kinds[c] = ColumnNumeric
			numeric++
		default:
			r.fail(r.off-1, "column %d has kind %d", c+1, k)
			return nil
		}
	}
	for c, k := range kinds {
		if k != ColumnText {
			continue
		}
		for row := range nrows {
			at := r.off
			s, e := r.span(lim.MaxCellBytes)
			if r.err != nil {
				return nil
			}
			cell := r.b[s:e]
			if !utf8.Valid(cell) {
				r.fail(at, "row %d, column %d is not valid UTF-8", row+1, c+1)
				return nil
			}
			if c == 0 && len(bytes.TrimSpace(cell)) == 0 {
				r.fail(at, "row %d has an empty key", row+1)
				return nil
			}
		}
	}
	textEnd := r.off
	if numeric > 0 && (r.remaining()%8 != 0 || r.remaining()/8/numeric != nrows || r.remaining()/8%numeric != 0) ||
		numeric == 0 && r.remaining() != 0 {
		r.fail(r.off, "%d bytes left for %d numeric columns of %d rows", r.remaining(), numeric, nrows)
		return nil
	}

	// Pass 2 builds the data set. Every string is a substring of one copy
	// of the header and text section: one allocation instead of one per cell.
	all := string(r.b[textStart:textEnd])
	d := &DataSet{
		Header: make([]string, ncols),
		Kinds:  kinds,
		rows:   nrows,
		text:   make([][]string, ncols),
		nums:   make([][]float64, ncols),
	}
	r.off = textStart
	sub := func() string {
		s, e := r.span(lim.MaxCellBytes)
		return all[s-textStart : e-textStart]
	}
	for c := range d.Header {
		d.Header[c] = sub()
		r.off++ // the kind byte, read in pass 1
	}
	if dup, ok := firstDuplicate(d.Header); ok {
		r.fail(textStart, "duplicate column name %s", quoteCell(dup))
		return nil
	}
	for c, k := range kinds {
		if k != ColumnText {
			continue
		}
		col := make([]string, nrows)
		for row := range col {
			col[row] = sub()
		}
		d.text[c] = col
	}
	if dup, ok := firstDuplicate(d.text[0]); ok {
		r.fail(textStart, "duplicate key %s", quoteCell(dup))
		return nil
	}
	for c, k := range kinds {
		if k != ColumnNumeric {
			continue
		}
		col := make([]float64, nrows)
		for row := range col {
			bits := binary.LittleEndian.Uint64(r.b[r.off:])
			v := math.Float64frombits(bits)
			if math.IsInf(v, 0) || v != v && bits != canonicalNaN {
				r.fail(r.off, "row %d, column %d holds %v, which Parse never produces", row+1, c+1, v)
				return nil
			}
			col[row] = v
			r.off += 8
		}
		d.nums[c] = col
	}
	return d
}

// firstDuplicate returns a string that occurs twice in ss.
func firstDuplicate(ss []string) (string, bool) {
	seen := make(map[string]struct{}, len(ss))
	for _, s := range ss {
		if _, dup := seen[s]; dup {
			return s, true
		}
		seen[s] = struct{}{}
	}
	return "", false
}
