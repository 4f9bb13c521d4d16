package datagen

import (
	"errors"
	"fmt"
	"math"
)

// DefaultIndicators is the number of indicator columns written when
// Spec.Indicators is zero.
const DefaultIndicators = 6

// Spec says what to generate. The zero value of every field but Rows is a
// sensible default.
type Spec struct {
	// Rows is the number of data rows, not counting the header. Zero gives a
	// header-only file, which is useful to test that uploads reject it.
	Rows int
	// Indicators is the number of numeric indicator columns, 1..len(IndicatorNames),
	// taken from IndicatorNames in order; 0 means DefaultIndicators.
	Indicators int
	// Seed selects the contents: the same Spec always gives the same bytes.
	Seed int64
	// Missing is the fraction of indicator cells, in [0, 1), left empty as
	// missing values. The first data row is always complete, so that a reader
	// that decides a column's type from its first row still sees a number.
	Missing float64
}

// Validate reports whether s can be generated.
func (s Spec) Validate() error {
	var errs []error
	if s.Rows < 0 {
		errs = append(errs, fmt.Errorf("rows %d is negative", s.Rows))
	}
	if s.Indicators < 0 || s.Indicators > len(indicatorTable) {
		errs = append(errs, fmt.Errorf("indicators %d is not in 0..%d", s.Indicators, len(indicatorTable)))
	}
	// The negated comparison also rejects NaN.
	if !(s.Missing >= 0 && s.Missing < 1) {
		errs = append(errs, fmt.Errorf("missing fraction %v is not in [0, 1)", s.Missing))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("datagen spec: %w", err)
	}
	return nil
}

// Columns returns the header that Write will produce for s: the four text
// columns followed by the indicator names.
func (s Spec) Columns() []string {
	n := s.indicators()
	cols := make([]string, 0, len(textColumns)+n)
	cols = append(cols, textColumns[:]...)
	for _, ind := range indicatorTable[:n] {
		cols = append(cols, ind.name)
	}
	return cols
}

// indicators returns the number of indicator columns, applying the default and
// clamping so that callers that skipped Validate never index out of range.
func (s Spec) indicators() int {
	switch {
	case s.Indicators <= 0:
		return DefaultIndicators
	case s.Indicators > len(indicatorTable):
		return len(indicatorTable)
	default:
		return s.Indicators
	}
}

// textColumns are the leading columns of every generated file; the first is
// the unique row key.
var textColumns = [...]string{"ward_code", "ward_name", "lga", "state"}

// clamp bounds v to [lo, hi].
func clamp(v, lo, hi float64) float64 {
	return math.Max(lo, math.Min(hi, v))
}
