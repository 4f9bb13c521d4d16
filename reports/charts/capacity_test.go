package charts_test

import (
	"bytes"
	"image/png"
	"testing"

	"loadharness/reports/charts"
)

func TestCapacity(t *testing.T) {
	tests := []struct {
		name  string
		curve charts.CapacityCurve
	}{
		{"a search", charts.CapacityCurve{
			Name: "capacity-maps", Title: "maps: capacity", LoadLabel: "rate asked (requests/s)", Unit: "req/s",
			Capacity: 300, Knee: 250, LatencyGate: 2000,
			Points: []charts.CapacityPoint{
				{Load: 150, P50: 4, P95: 12, P99: 30, ThroughputRPS: 149},
				{Load: 600, P50: 900, P95: 9000, P99: 9500, ThroughputRPS: 310, ErrorRate: 0.4},
				{Load: 300, P50: 20, P95: 200, P99: 400, ThroughputRPS: 290},
				{Load: 300, P50: 25, P95: 250, P99: 450, ThroughputRPS: 295}, // the confirmation
				{Load: 250, P50: 8, P95: 60, P99: 90, ThroughputRPS: 248},
			},
		}},
		{"one point, nothing measured", charts.CapacityCurve{Name: "one", LoadLabel: "users", Unit: "users",
			Points: []charts.CapacityPoint{{Load: 1}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, err := charts.Capacity(tt.curve)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := ch.Name, tt.curve.Name; got != want {
				t.Errorf("name = %q, want %q", got, want)
			}
			img, err := png.Decode(bytes.NewReader(MustRender(t, ch, charts.PNG)))
			if err != nil {
				t.Fatalf("PNG does not decode: %v", err)
			}
			if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 300 {
				t.Errorf("PNG is %dx%d, too small to read", b.Dx(), b.Dy())
			}
			if !bytes.Contains(MustRender(t, ch, charts.SVG), []byte("<svg")) {
				t.Error("SVG lacks an <svg> element")
			}
		})
	}
	if _, err := charts.Capacity(charts.CapacityCurve{Name: "empty"}); err == nil {
		t.Error("a curve without points rendered without an error")
	}
}
