package reports_test

import (
	"bytes"
	"sync"
	"testing"

	"loadharness/reports"
	"loadharness/reports/charts"
	"loadharness/reports/internal/fixture"
)

var (
	fixtureChartsOnce sync.Once
	fixtureCharts     []reports.ChartImage
	fixtureChartsErr  error
)

// renderedFixture is fixture.Input with its charts, rendered once for every
// test that needs them (rendering is the slow part, and the race detector
// makes it slower still) and linked as the harness writes them, under
// charts/ beside the report.
func renderedFixture(tb testing.TB) reports.ReportInput {
	tb.Helper()
	in := fixture.Input(tb)
	fixtureChartsOnce.Do(func() { fixtureCharts, fixtureChartsErr = chartImages(in) })
	if fixtureChartsErr != nil {
		tb.Fatalf("render the fixture's charts: %v", fixtureChartsErr)
	}
	in.Charts = fixtureCharts
	return in
}

// chartImages draws in's charts and renders them as a report shows them,
// each linked as charts/NAME.png.
func chartImages(in reports.ReportInput) ([]reports.ChartImage, error) {
	cs, err := charts.For(in)
	if err != nil {
		return nil, err
	}
	images := make([]reports.ChartImage, 0, len(cs))
	for _, ch := range cs {
		var png bytes.Buffer
		if err := ch.Render(&png, charts.PNG); err != nil {
			return nil, err
		}
		images = append(images, reports.ChartImage{
			Name: ch.Name, Title: ch.Title, Caption: ch.Caption, PNG: png.Bytes(), Path: "charts/" + ch.Name + ".png",
		})
	}
	return images, nil
}
