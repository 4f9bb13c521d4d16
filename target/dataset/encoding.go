package dataset

import (
	"hash/crc32"
	"math"
)

// The binary encoding, version 1. All integers are unsigned varints
// (encoding/binary's Uvarint, minimal length); a string is its byte length
// then its bytes.
//
//	"LHDS" 0x01                     magic and version
//	columns rows                    counts
//	columns × (name, kind byte)     header; kind 0 text, 1 numeric
//	text section                    each text column in order: rows × string
//	numeric section                 each numeric column in order: rows × 8 bytes,
//	                                float64 bits little-endian, NaN as math.NaN()
//	CRC-32C                         4 bytes little-endian, of everything before
//
// Text comes before numbers so that Decode can copy every string of the data
// set with one allocation. The encoding of a data set is canonical (one
// NaN, minimal varints, nothing optional), which is what lets Checksum hash it
// and lets Decode refuse any bytes MarshalBinary would not have written.
const (
	encodingMagic   = "LHDS"
	encodingVersion = 1
	crcLen          = 4
	kindByteText    = 0
	kindByteNumeric = 1
)

// castagnoli is the CRC-32C table: hardware-accelerated on amd64 and arm64.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// canonicalNaN is the only NaN bit pattern the encoding holds, so that equal
// data sets have equal bytes whatever NaN payloads a computation produced.
var canonicalNaN = math.Float64bits(math.NaN())
