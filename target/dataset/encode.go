package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"unicode/utf8"
)

// MarshalBinary returns the binary encoding of d (see encoding.go), which
// Decode reads back exactly: every string, every float64 bit pattern
// including -0, and NaN for empty cells. It fails only for a DataSet whose
// exported Header or Kinds were changed after Parse or Decode.
func (d *DataSet) MarshalBinary() ([]byte, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	return d.appendBinary(make([]byte, 0, d.encodedLen())), nil
}

// AppendBinary appends the encoding of d to b, as encoding.BinaryAppender
// asks, so a caller can reuse one buffer across data sets.
func (d *DataSet) AppendBinary(b []byte) ([]byte, error) {
	if err := d.check(); err != nil {
		return b, err
	}
	return d.appendBinary(b), nil
}

func (d *DataSet) appendBinary(b []byte) []byte {
	start := len(b)
	e := encoder{buf: b}
	d.encode(&e)
	crc := crc32.Checksum(e.buf[start:], castagnoli)
	return binary.LittleEndian.AppendUint32(e.buf, crc)
}

// check reports a DataSet whose Header or Kinds no longer describe its
// cells. The cells themselves are unexported and valid by construction.
func (d *DataSet) check() error {
	if len(d.Header) != len(d.text) || len(d.Kinds) != len(d.text) {
		return fmt.Errorf("encode data set: %d names and %d kinds for %d columns", len(d.Header), len(d.Kinds), len(d.text))
	}
	if len(d.text) < 2 || d.rows < 1 {
		return errors.New("encode data set: not a parsed data set")
	}
	seen := make(map[string]struct{}, len(d.Header))
	for c, name := range d.Header {
		if isBlank(name) || !utf8.ValidString(name) {
			return fmt.Errorf("encode data set: column %d has an invalid name %s", c+1, quoteCell(name))
		}
		if _, dup := seen[name]; dup {
			return fmt.Errorf("encode data set: duplicate column name %s", quoteCell(name))
		}
		seen[name] = struct{}{}
		if got, want := d.Kinds[c], d.kind(c); got != want {
			return fmt.Errorf("encode data set: column %d is %s, Kinds says %s", c+1, want, got)
		}
	}
	return nil
}

// kind returns the kind the storage of column c has.
func (d *DataSet) kind(c int) ColumnKind {
	if d.nums[c] != nil {
		return ColumnNumeric
	}
	return ColumnText
}

// encodedLen returns the exact length of the encoding, so MarshalBinary
// allocates once.
func (d *DataSet) encodedLen() int {
	n := len(encodingMagic) + 1 + uvarintLen(len(d.text)) + uvarintLen(d.rows) + crcLen
	for c := range d.text {
		n += uvarintLen(len(d.name(c))) + len(d.name(c)) + 1
		if d.nums[c] != nil {
			n += 8 * d.rows
			continue
		}
		for _, s := range d.text[c] {
			n += uvarintLen(len(s)) + len(s)
		}
	}
	return n
}

// name returns the name of column c, or "" if Header was shortened; the
// encoder works from the storage so that it never indexes out of range.
func (d *DataSet) name(c int) string {
	if c < len(d.Header) {
		return d.Header[c]
	}
	return ""
}

// encode writes the encoding without its CRC. It reads kinds from the
// storage, never from the exported Kinds, so that it cannot fail. The loops
// append to a local slice rather than to e.buf: a store through a pointer
// costs a write barrier while the collector runs.
func (d *DataSet) encode(e *encoder) {
	buf := append(e.buf, encodingMagic...)
	buf = append(buf, encodingVersion)
	buf = binary.AppendUvarint(buf, uint64(len(d.text)))
	buf = binary.AppendUvarint(buf, uint64(d.rows))
	for c := range d.text {
		buf = appendString(buf, d.name(c))
		if d.nums[c] != nil {
			buf = append(buf, kindByteNumeric)
		} else {
			buf = append(buf, kindByteText)
		}
	}
	for _, col := range d.text {
		for _, s := range col {
			buf = appendString(buf, s)
			buf = e.spill(buf)
		}
	}
	for _, col := range d.nums {
		for _, v := range col {
			bits := math.Float64bits(v)
			if v != v {
				bits = canonicalNaN
			}
			buf = binary.LittleEndian.AppendUint64(buf, bits)
			buf = e.spill(buf)
		}
	}
	e.buf = buf
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// encoder holds the encoding being built. With a sink it hands the buffer
// over in chunks, so that Checksum hashes a data set without a copy of it.
type encoder struct {
	buf  []byte
	sink io.Writer
	crc  uint32 // CRC-32C of what went to sink
}

// chunkSize is how much the encoder buffers before it writes to its sink.
const chunkSize = 4 << 10

// spill hands a full buf to the sink, if there is one, and returns what is
// left to append to.
func (e *encoder) spill(buf []byte) []byte {
	if e.sink == nil || len(buf) < chunkSize {
		return buf
	}
	return e.write(buf)
}

// write hands buf to the sink and returns it emptied.
func (e *encoder) write(buf []byte) []byte {
	e.crc = crc32.Update(e.crc, castagnoli, buf)
	_, _ = e.sink.Write(buf) // the sink is a hash, whose Write never fails
	return buf[:0]
}

func uvarintLen(v int) int {
	n := 1
	for x := uint64(v); x >= 0x80; x >>= 7 {
		n++
	}
	return n
}
