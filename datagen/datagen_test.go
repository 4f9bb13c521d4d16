package datagen

import (
	"bytes"
	"encoding/csv"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata")

// mustRecords parses b with encoding/csv, an independent reader, so the tests
// prove the output is valid CSV rather than trusting our own quoting.
func mustRecords(tb testing.TB, b []byte) [][]string {
	tb.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		tb.Fatalf("output is not valid CSV: %v", err)
	}
	return recs
}

func mustBytes(tb testing.TB, s Spec) []byte {
	tb.Helper()
	b, err := Bytes(s)
	if err != nil {
		tb.Fatalf("Bytes(%+v): %v", s, err)
	}
	return b
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		spec    Spec
		wantErr bool
	}{
		{"zero value", Spec{}, false},
		{"all indicators", Spec{Rows: 10, Indicators: len(IndicatorNames)}, false},
		{"missing just under one", Spec{Rows: 10, Missing: 0.99}, false},
		{"negative rows", Spec{Rows: -1}, true},
		{"negative indicators", Spec{Rows: 1, Indicators: -1}, true},
		{"too many indicators", Spec{Rows: 1, Indicators: len(IndicatorNames) + 1}, true},
		{"missing one", Spec{Rows: 1, Missing: 1}, true},
		{"missing negative", Spec{Rows: 1, Missing: -0.1}, true},
		{"missing NaN", Spec{Rows: 1, Missing: math.NaN()}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.spec.Validate()
			if got, want := err != nil, tt.wantErr; got != want {
				t.Fatalf("Validate() = %v, want error %v", err, want)
			}
			// Bytes and Write must refuse exactly what Validate refuses.
			_, bytesErr := Bytes(tt.spec)
			if got, want := bytesErr != nil, tt.wantErr; got != want {
				t.Errorf("Bytes error = %v, want error %v", bytesErr, want)
			}
			var buf bytes.Buffer
			writeErr := Write(&buf, tt.spec)
			if got, want := writeErr != nil, tt.wantErr; got != want {
				t.Errorf("Write error = %v, want error %v", writeErr, want)
			}
			if tt.wantErr && buf.Len() > 0 {
				t.Errorf("Write wrote %d bytes for an invalid spec", buf.Len())
			}
		})
	}
}

func TestOutputIsWellFormed(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
	}{
		{"default indicators", Spec{Rows: 500, Seed: 1}},
		{"one indicator", Spec{Rows: 50, Indicators: 1, Seed: 2}},
		{"all indicators with gaps", Spec{Rows: 300, Indicators: len(IndicatorNames), Seed: 3, Missing: 0.1}},
		{"header only", Spec{Rows: 0, Seed: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := mustRecords(t, mustBytes(t, tt.spec))
			if got, want := recs[0], tt.spec.Columns(); !slices.Equal(got, want) {
				t.Fatalf("header = %q, want %q", got, want)
			}
			if got, want := len(recs)-1, tt.spec.Rows; got != want {
				t.Fatalf("data rows = %d, want %d", got, want)
			}
			keys := make(map[string]int)
			for r, rec := range recs[1:] {
				if first, dup := keys[rec[0]]; dup {
					t.Fatalf("row %d repeats key %q of row %d", r, rec[0], first)
				}
				keys[rec[0]] = r
				for c, cell := range rec[len(textColumns):] {
					if cell == "" {
						if r == 0 {
							t.Fatalf("first data row has an empty %s", recs[0][len(textColumns)+c])
						}
						continue
					}
					if _, err := strconv.ParseFloat(cell, 64); err != nil {
						t.Fatalf("row %d column %s: %v", r, recs[0][len(textColumns)+c], err)
					}
				}
			}
		})
	}
}

func TestIndicatorRanges(t *testing.T) {
	bounds := map[string][2]float64{
		"population":            {100, 2e6},
		"test_positivity_rate":  {0, 1},
		"rainfall_mm":           {200, 3600},
		"ndvi":                  {-0.1, 0.9},
		"distance_to_water_km":  {0, 100},
		"housing_quality_index": {0, 1},
		"elevation_m":           {0, 2000},
		"u5_mortality":          {20, 300},
		"itn_coverage":          {0, 1},
		"urban_percentage":      {0, 100},
		"settlement_density":    {0, 1e7},
		"flood_risk_index":      {0, 1},
	}
	if got, want := len(bounds), len(IndicatorNames); got != want {
		t.Fatalf("test knows %d indicators, package has %d", got, want)
	}
	recs := mustRecords(t, mustBytes(t, Spec{Rows: 2000, Indicators: len(IndicatorNames), Seed: 9}))
	for c, name := range recs[0][len(textColumns):] {
		b := bounds[name]
		for _, rec := range recs[1:] {
			v, _ := strconv.ParseFloat(rec[len(textColumns)+c], 64)
			if v < b[0] || v > b[1] {
				t.Errorf("%s = %v, want within %v", name, v, b)
				break
			}
		}
	}
}

func TestSameSeedSameBytes(t *testing.T) {
	s := Spec{Rows: 200, Seed: 77, Missing: 0.05}
	got, want := mustBytes(t, s), mustBytes(t, s)
	if !bytes.Equal(got, want) {
		t.Fatal("two runs with the same spec differ")
	}
}

func TestDifferentSeedsDiffer(t *testing.T) {
	seen := make(map[string]int64)
	for seed := int64(-3); seed <= 20; seed++ {
		b := string(mustBytes(t, Spec{Rows: 20, Seed: seed}))
		if other, ok := seen[b]; ok {
			t.Fatalf("seeds %d and %d give identical files", other, seed)
		}
		seen[b] = seed
	}
}

func TestWriteMatchesBytes(t *testing.T) {
	// 3000 rows span several flushes of Write's buffer.
	for _, rows := range []int{0, 1, 3000} {
		s := Spec{Rows: rows, Seed: 5, Indicators: 8}
		var buf bytes.Buffer
		if err := Write(&buf, s); err != nil {
			t.Fatal(err)
		}
		if got, want := buf.Bytes(), mustBytes(t, s); !bytes.Equal(got, want) {
			t.Errorf("rows %d: Write and Bytes differ (%d vs %d bytes)", rows, len(got), len(want))
		}
	}
}

// failingWriter fails every write, standing in for a closed connection.
type failingWriter struct{}

var errClosed = errors.New("connection closed")

func (failingWriter) Write([]byte) (int, error) { return 0, errClosed }

func TestWriteReportsWriterError(t *testing.T) {
	err := Write(failingWriter{}, Spec{Rows: 10})
	if got, want := err, errClosed; !errors.Is(got, want) {
		t.Fatalf("Write error = %v, want it to wrap %v", got, want)
	}
}

func TestFewerIndicatorsIsAColumnPrefix(t *testing.T) {
	narrow := mustRecords(t, mustBytes(t, Spec{Rows: 100, Indicators: 3, Seed: 8}))
	wide := mustRecords(t, mustBytes(t, Spec{Rows: 100, Indicators: len(IndicatorNames), Seed: 8}))
	for r := range narrow {
		if got, want := narrow[r], wide[r][:len(narrow[r])]; !slices.Equal(got, want) {
			t.Fatalf("row %d: %q is not a prefix of %q", r, got, wide[r])
		}
	}
}

func TestNamesExerciseQuoting(t *testing.T) {
	recs := mustRecords(t, mustBytes(t, Spec{Rows: 500, Seed: 11}))
	var commas, quotes int
	for _, rec := range recs[1:] {
		name := rec[1]
		if strings.Contains(name, ",") {
			commas++
		}
		if strings.Contains(name, `"`) {
			quotes++
		}
	}
	if commas == 0 || quotes == 0 {
		t.Fatalf("500 ward names hold %d with commas and %d with quotes; want some of each", commas, quotes)
	}
}

func TestMissingFraction(t *testing.T) {
	tests := []struct {
		name     string
		missing  float64
		min, max float64
	}{
		{"none", 0, 0, 0},
		{"a fifth", 0.2, 0.15, 0.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			recs := mustRecords(t, mustBytes(t, Spec{Rows: 2000, Seed: 12, Missing: tt.missing}))
			var empty, cells int
			for _, rec := range recs[1:] {
				for _, cell := range rec[len(textColumns):] {
					cells++
					if cell == "" {
						empty++
					}
				}
			}
			got := float64(empty) / float64(cells)
			if got < tt.min || got > tt.max {
				t.Fatalf("empty fraction = %.3f, want within [%v, %v]", got, tt.min, tt.max)
			}
		})
	}
}

// TestPositivityFollowsRainfall checks the one correlation a malaria risk map
// is expected to show; independent noise would give a coefficient near zero.
func TestPositivityFollowsRainfall(t *testing.T) {
	s := Spec{Rows: 2000, Seed: 13}
	recs := mustRecords(t, mustBytes(t, s))
	col := func(name string) []float64 {
		i := slices.Index(recs[0], name)
		out := make([]float64, 0, len(recs)-1)
		for _, rec := range recs[1:] {
			v, _ := strconv.ParseFloat(rec[i], 64)
			out = append(out, v)
		}
		return out
	}
	if got := pearson(col("rainfall_mm"), col("test_positivity_rate")); got < 0.3 {
		t.Fatalf("corr(rainfall, tpr) = %.2f, want at least 0.3", got)
	}
}

func pearson(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= float64(len(x))
	my /= float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

// TestGolden pins the output format: a change to the model, the name lists or
// the order of random draws changes every generated file and every checksum a
// test or a recorded run may hold, so it must be deliberate (go test -update).
func TestGolden(t *testing.T) {
	got := mustBytes(t, Spec{Rows: 30, Indicators: len(IndicatorNames), Seed: 42, Missing: 0.05})
	path := filepath.Join("testdata", "seed42.csv")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("output differs from %s; if the change is deliberate run go test -update\ngot:\n%s", path, got)
	}
}
