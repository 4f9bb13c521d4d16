package datagen

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
)

// flushAt is how much CSV Write buffers before it calls the writer: large
// enough that a 500-row upload is one or two writes, small enough that a huge
// file streams.
const flushAt = 32 << 10

// pcgStream is the second PCG word; the seed is the first. Any fixed odd
// constant works: changing it would change every generated file.
const pcgStream = 0x9e3779b97f4a7c15

// Write writes the header and s.Rows rows of CSV to w, with "\n" line ends. It
// returns Validate's error for an invalid spec, before writing anything.
func Write(w io.Writer, s Spec) error {
	if err := s.Validate(); err != nil {
		return err
	}
	g := newGenerator(s)
	buf := make([]byte, 0, flushAt+512)
	buf = g.appendHeader(buf)
	for i := range s.Rows {
		buf = g.appendRow(buf, i)
		if len(buf) >= flushAt {
			if _, err := w.Write(buf); err != nil {
				return fmt.Errorf("write csv: %w", err)
			}
			buf = buf[:0]
		}
	}
	if len(buf) > 0 {
		if _, err := w.Write(buf); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	return nil
}

// Bytes returns what Write would write, in one allocation for typical specs.
func Bytes(s Spec) ([]byte, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	g := newGenerator(s)
	// About 56 bytes of text columns and 10 per indicator; a good guess saves
	// the copies of append's growth.
	buf := make([]byte, 0, 256+s.Rows*(56+10*g.indicators))
	buf = g.appendHeader(buf)
	for i := range s.Rows {
		buf = g.appendRow(buf, i)
	}
	return buf, nil
}

// generator holds the state of one file being generated.
type generator struct {
	rng        *rand.Rand
	indicators int
	missing    float64
	name       []byte // scratch for the ward name, reused across rows
	values     [numIndicators]float64
}

func newGenerator(s Spec) *generator {
	return &generator{
		rng:        rand.New(rand.NewPCG(uint64(s.Seed), pcgStream)),
		indicators: s.indicators(),
		missing:    s.Missing,
		name:       make([]byte, 0, 64),
	}
}

func (g *generator) appendHeader(dst []byte) []byte {
	for i, c := range textColumns {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, c...)
	}
	for _, ind := range indicatorTable[:g.indicators] {
		dst = append(dst, ',')
		dst = append(dst, ind.name...)
	}
	return append(dst, '\n')
}

// appendRow appends data row i (0-based). The order of random draws is part
// of the output format: reordering them changes every file.
func (g *generator) appendRow(dst []byte, i int) []byte {
	r := g.rng
	st := &states[r.IntN(len(states))]
	lga := st.lgas[r.IntN(len(st.lgas))]

	// ward_code: NG-<state>-W<5 digits>; the row number makes it unique.
	dst = append(dst, "NG-"...)
	dst = append(dst, st.code...)
	dst = append(dst, "-W"...)
	for n := i + 1; n < 10000; n *= 10 {
		dst = append(dst, '0')
	}
	dst = strconv.AppendInt(dst, int64(i+1), 10)
	dst = append(dst, ',')

	dst = appendField(dst, g.wardName())
	dst = append(dst, ',')
	dst = appendField(dst, []byte(lga))
	dst = append(dst, ',')
	dst = append(dst, st.name...)

	wardIndicators(r, st, &g.values)
	for k := range numIndicators {
		// Draw for every indicator, written or not, so that the column set
		// does not change the values of the columns that are written.
		gap := r.Float64() < g.missing && i > 0
		if k >= g.indicators {
			continue
		}
		dst = append(dst, ',')
		if !gap {
			dst = strconv.AppendFloat(dst, g.values[k], 'f', indicatorTable[k].decimals, 64)
		}
	}
	return append(dst, '\n')
}

// wardName builds a ward name in g.name. About one name in seven carries a
// comma or double quotes, which a CSV writer must quote.
func (g *generator) wardName() []byte {
	r := g.rng
	n := append(g.name[:0], wardPrefixes[r.IntN(len(wardPrefixes))]...)
	n = append(n, wardRoots[r.IntN(len(wardRoots))]...)
	switch v := r.IntN(20); v {
	case 0, 1:
		n = append(n, ", Ward "...)
		n = strconv.AppendInt(n, int64(1+r.IntN(12)), 10)
	case 2:
		n = append(n, " \""...)
		n = append(n, wardQualifiers[r.IntN(len(wardQualifiers))]...)
		n = append(n, '"')
	}
	g.name = n
	return n
}

// appendField appends s as one CSV field, quoted when RFC 4180 requires it.
func appendField(dst, s []byte) []byte {
	if bytes.IndexAny(s, ",\"\r\n") < 0 {
		return append(dst, s...)
	}
	dst = append(dst, '"')
	for {
		i := bytes.IndexByte(s, '"')
		if i < 0 {
			break
		}
		dst = append(dst, s[:i+1]...)
		dst = append(dst, '"')
		s = s[i+1:]
	}
	dst = append(dst, s...)
	return append(dst, '"')
}
