package datagen

import (
	"math"
	"math/rand/v2"
)

// IndicatorNames lists the indicator columns in the order they are written;
// Spec.Indicators takes a prefix of it. Generation reads a private table, so
// changing this slice changes nothing but the caller's own view.
var IndicatorNames = func() []string {
	names := make([]string, len(indicatorTable))
	for i, ind := range indicatorTable {
		names[i] = ind.name
	}
	return names
}()

// indicator is one numeric column: its header name and how many decimals are
// written (a rate printed with 15 digits would not look like anyone's data).
type indicator struct {
	name     string
	decimals int
}

// The indexes of indicatorTable, so that the model below reads by name.
const (
	indPopulation = iota
	indTPR
	indRainfall
	indNDVI
	indWater
	indHousing
	indElevation
	indU5Mortality
	indITN
	indUrban
	indDensity
	indFloodRisk
	numIndicators
)

// indicatorTable is the fixed list behind IndicatorNames. The first
// DefaultIndicators entries are the ones the seed application maps most.
var indicatorTable = [numIndicators]indicator{
	indPopulation:  {"population", 0},
	indTPR:         {"test_positivity_rate", 3},
	indRainfall:    {"rainfall_mm", 1},
	indNDVI:        {"ndvi", 3},
	indWater:       {"distance_to_water_km", 2},
	indHousing:     {"housing_quality_index", 3},
	indElevation:   {"elevation_m", 0},
	indU5Mortality: {"u5_mortality", 1},
	indITN:         {"itn_coverage", 3},
	indUrban:       {"urban_percentage", 1},
	indDensity:     {"settlement_density", 1},
	indFloodRisk:   {"flood_risk_index", 3},
}

// wardIndicators draws every indicator of one ward in st. All of them are drawn
// whatever Spec.Indicators says, so that a file with 4 indicators is a column
// prefix of the file with 12 for the same seed.
//
// The model is deliberately simple but not independent noise: rainfall and
// vegetation follow the state's position on the north–south gradient, and test
// positivity rises with rainfall and falls with housing quality and
// urbanisation, which is the pattern a malaria risk map is expected to show.
func wardIndicators(r *rand.Rand, st *state, out *[numIndicators]float64) {
	urban := clamp(st.urban+0.25*r.NormFloat64(), 0, 1)
	rain := clamp(500+2200*st.south+180*r.NormFloat64(), 250, 3500)
	rainNorm := (rain - 500) / 2200
	housing := clamp(0.25+0.45*urban+0.15*st.south+0.08*r.NormFloat64(), 0, 1)
	tpr := clamp(0.12+0.30*rainNorm+0.25*(1-housing)-0.10*urban+0.05*r.NormFloat64(), 0.01, 0.95)
	pop := math.Round(math.Exp(8.8 + 1.6*urban + 0.45*r.NormFloat64()))
	water := math.Max(0.05, math.Abs(r.NormFloat64())*(1.5+6*(1-st.south)))
	elevation := math.Max(0, st.elevation+90*r.NormFloat64())
	areaKm2 := math.Exp(2.5 - 2.0*urban + 0.5*r.NormFloat64())

	out[indPopulation] = pop
	out[indTPR] = tpr
	out[indRainfall] = rain
	out[indNDVI] = clamp(0.10+0.45*st.south+0.15*(1-urban)+0.05*r.NormFloat64(), -0.1, 0.9)
	out[indWater] = water
	out[indHousing] = housing
	out[indElevation] = elevation
	out[indU5Mortality] = clamp(55+160*tpr+50*(1-housing)+12*r.NormFloat64(), 20, 300)
	out[indITN] = clamp(0.35+0.25*rainNorm+0.10*r.NormFloat64(), 0.02, 0.98)
	out[indUrban] = 100 * urban
	out[indDensity] = pop / areaKm2
	out[indFloodRisk] = clamp(0.10+0.50*rainNorm+0.30*math.Exp(-water/2)-0.0002*elevation+0.05*r.NormFloat64(), 0, 1)
}
