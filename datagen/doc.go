// Package datagen writes synthetic but plausible CSV data sets shaped like the
// uploads of the seed's malaria application: one row per Nigerian ward, a few
// text columns that name it, then numeric indicators (population, test
// positivity rate, rainfall, NDVI, …) with believable ranges and correlations.
//
// Output is a pure function of the Spec: the same seed gives the same bytes on
// every platform and Go version (math/rand/v2's PCG is a fixed algorithm), so
// target tests can pin checksums and load-test uploads can be replayed. Ward
// names sometimes contain commas and double quotes, so every upload also
// exercises CSV quoting on the server.
package datagen
