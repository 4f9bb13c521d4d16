package loadharness

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Format renders v, given in k's canonical unit, for people: "734ms",
// "1.27s", "0.012%", "153.2/s", "1000". Reports use it for every figure
// that sits next to a gate.
func (k MetricKind) Format(v float64) string { return k.format(v, 3) }

// FormatPair renders a measurement and its threshold like Format, with as
// many more digits as it takes for different values to read differently: a
// failed "availability >= 99.9%" shows 99.88%, not 99.9%.
func (k MetricKind) FormatPair(measured, threshold float64) (string, string) {
	digits := 3
	for digits < 17 && measured != threshold && k.format(measured, digits) == k.format(threshold, digits) {
		digits++
	}
	return k.format(measured, digits), k.format(threshold, digits)
}

// format renders v with about digits significant digits.
func (k MetricKind) format(v float64, digits int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	switch k {
	case KindLatency:
		return formatMillis(v, digits)
	case KindRatio:
		return formatSignificant(v*100, digits) + "%"
	case KindRate:
		return formatSignificant(v, digits+1) + "/s"
	default:
		if v == math.Trunc(v) && math.Abs(v) < 1e15 {
			return strconv.FormatFloat(v, 'f', 0, 64)
		}
		return formatSignificant(v, digits)
	}
}

// formatMillis renders a duration given in milliseconds in the largest unit
// that keeps it at least 1, as a person would write it.
func formatMillis(ms float64, digits int) string {
	a := math.Abs(ms)
	switch {
	case a == 0:
		return "0ms"
	case a >= 60e3:
		return formatSignificant(ms/60e3, digits) + "m"
	case a >= 1e3:
		return formatSignificant(ms/1e3, digits) + "s"
	case a >= 1:
		return formatSignificant(ms, digits) + "ms"
	case a >= 1e-3:
		return formatSignificant(ms*1e3, digits) + "µs"
	default:
		return formatSignificant(ms*1e6, digits) + "ns"
	}
}

// formatSignificant writes v with digits significant digits and no trailing
// zeros, never in exponent form for everyday magnitudes (a person reads
// "12000" more easily than "1.2e+04").
func formatSignificant(v float64, digits int) string {
	if v == 0 {
		return "0"
	}
	exp := int(math.Floor(math.Log10(math.Abs(v))))
	if exp < -9 || exp > 15 {
		return strconv.FormatFloat(v, 'g', digits, 64)
	}
	decimals := max(digits-1-exp, 0)
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}

// formatNumber writes v exactly (the shortest decimal that reads back as v)
// without an exponent, since the gate grammar has none.
func formatNumber(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// quotePromQL writes a PromQL expression as the gate grammar's string: back
// quotes, which need no escaping and read as the expression itself, unless
// the expression holds a back quote, a byte that is not UTF-8 or a
// character that does not print (a newline, a tab); then a Go string,
// which ParseGate reads back to the same bytes.
func quotePromQL(expr string) string {
	if !strings.Contains(expr, "`") && utf8.ValidString(expr) && strings.IndexFunc(expr, notPrint) < 0 {
		return "`" + expr + "`"
	}
	return strconv.Quote(expr)
}

func notPrint(r rune) bool { return !strconv.IsPrint(r) }
