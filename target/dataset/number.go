package dataset

import (
	"math"
	"strconv"
)

// numberStatus says what parseNumber made of a cell.
type numberStatus uint8

const (
	isNumber numberStatus = iota
	notNumber
	outOfRange
)

// parseNumber reads a cell as a decimal number: an optional sign, digits with
// an optional decimal point, and an optional exponent ("12", "-0.5", ".5",
// "3.", "1e-3").
//
// It is deliberately narrower than strconv.ParseFloat, which also takes
// "NaN", "Inf", "infinity", hex floats ("0x1p-2") and digit separators
// ("1_000"): a ward named "Nan" or a code like "0x12" must not turn a text
// column numeric, a map cannot colour infinity, and a missing value is
// written as an empty cell. A number too large for a float64 is outOfRange;
// one too small to represent becomes 0 or a subnormal, as ParseFloat rounds it.
func parseNumber(s string) (float64, numberStatus) {
	if !isDecimal(s) {
		return 0, notNumber
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, outOfRange
	}
	return v, isNumber
}

// isDecimal reports whether s matches [+-]?(d+(\.d*)?|\.d+)([eE][+-]?d+)?.
func isDecimal(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i++
			exp++
		}
		if exp == 0 {
			return false
		}
	}
	return i == len(s)
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }
