package dataset

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// Checksum identifies the contents of d: the lowercase hex of the first 16
// bytes of the SHA-256 of its binary encoding, so equal data sets (same
// names, kinds and cells, NaN counted equal to NaN) have equal checksums
// however they were produced, and a data set read back with Decode keeps its
// checksum. For a data set that MarshalBinary accepts it equals the hash of
// MarshalBinary's bytes; it streams the encoding into the hash instead of
// building it, so it costs no copy of the data set.
func (d *DataSet) Checksum() string {
	h := sha256.New()
	e := encoder{buf: make([]byte, 0, chunkSize+512), sink: h}
	d.encode(&e)
	e.write(e.buf)
	var crc [crcLen]byte
	binary.LittleEndian.PutUint32(crc[:], e.crc)
	h.Write(crc[:])
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:16])
}
