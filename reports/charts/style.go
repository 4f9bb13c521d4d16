package charts

import (
	"image/color"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// One style for every chart, so a reader learns it once: sans-serif text
// sized for a report page, a light grid, the same colour for the same
// figure everywhere (p95 is always orange, failures always red).
const (
	// chartWidth at chartDPI makes PNGs 1100 px wide: sharp on a laptop
	// screen, still legible when a report page shrinks them.
	chartWidth  = 11 * vg.Inch
	panelHeight = 3.4 * vg.Inch
	chartDPI    = 100
	chartPad    = 10 * vg.Millimeter / 3
)

var (
	sansFont   = font.Font{Typeface: "Liberation", Variant: "Sans"}
	titleFont  = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: stdfont.WeightBold, Size: 13}
	labelFont  = font.From(sansFont, 11)
	tickFont   = font.From(sansFont, 9.5)
	legendFont = font.From(sansFont, 10)
	eventFont  = font.From(sansFont, 9)
)

// Colours of the figures charts share.
var (
	colorP50     = color.RGBA{R: 0x2b, G: 0x6c, B: 0xb0, A: 0xff} // blue
	colorP95     = color.RGBA{R: 0xdd, G: 0x8a, B: 0x1e, A: 0xff} // orange
	colorP99     = color.RGBA{R: 0xc5, G: 0x30, B: 0x30, A: 0xff} // red
	colorFailed  = color.RGBA{R: 0xc5, G: 0x30, B: 0x30, A: 0xff} // red, like the worst latency
	colorAsked   = color.RGBA{R: 0x4a, G: 0x55, B: 0x68, A: 0xff} // slate
	colorNeutral = color.RGBA{R: 0x71, G: 0x80, B: 0x96, A: 0xff} // grey
	colorEvent   = color.RGBA{R: 0x6b, G: 0x46, B: 0xc1, A: 0xff} // purple
	colorGrid    = color.RGBA{R: 0xe2, G: 0xe8, B: 0xf0, A: 0xff}
	colorUnnamed = color.RGBA{R: 0xcb, G: 0xd5, B: 0xe0, A: 0xff}
)

// seriesColors tell apart series that have no fixed colour (instances,
// scenarios, target metrics); colour-blind safe first (Okabe-Ito), then
// more.
var seriesColors = []color.RGBA{
	{R: 0x00, G: 0x72, B: 0xb2, A: 0xff},
	{R: 0xe6, G: 0x9f, B: 0x00, A: 0xff},
	{R: 0x00, G: 0x9e, B: 0x73, A: 0xff},
	{R: 0xcc, G: 0x79, B: 0xa7, A: 0xff},
	{R: 0x56, G: 0xb4, B: 0xe9, A: 0xff},
	{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff},
	{R: 0x99, G: 0x77, B: 0x00, A: 0xff}, // Okabe-Ito's yellow, darkened to show on white
	{R: 0x00, G: 0x00, B: 0x00, A: 0xff},
	{R: 0x88, G: 0x22, B: 0x55, A: 0xff},
	{R: 0x44, G: 0xaa, B: 0x99, A: 0xff},
}

func seriesColor(i int) color.RGBA { return seriesColors[i%len(seriesColors)] }

// Line styles: figures solid, thresholds (gates, asked rate) dashed, events
// dotted, so a reader never mistakes a criterion for a measurement.
var (
	dashThreshold = []vg.Length{vg.Points(6), vg.Points(3)}
	dashEvent     = []vg.Length{vg.Points(2), vg.Points(2)}
)

func solidLine(c color.Color) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(1.4)}
}

func thresholdLine(c color.Color) draw.LineStyle {
	return draw.LineStyle{Color: c, Width: vg.Points(1.2), Dashes: dashThreshold}
}

func textStyle(f font.Font) text.Style {
	return text.Style{Color: color.Black, Font: f, Handler: plot.DefaultTextHandler}
}

// newPanel returns a plot in the house style with its axes labelled; the
// figure draws titles and legends itself, outside the data area.
func newPanel(xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	for _, ax := range []*plot.Axis{&p.X, &p.Y} {
		ax.Label.TextStyle.Font = labelFont
		ax.Tick.Label.Font = tickFont
		ax.Label.Padding = vg.Points(4)
	}
	p.X.Tick.Marker = niceTicks{labels: 10}
	p.Y.Tick.Marker = niceTicks{labels: 5}
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	grid := plotter.NewGrid()
	grid.Vertical = draw.LineStyle{Color: colorGrid, Width: vg.Points(0.6)}
	grid.Horizontal = grid.Vertical
	p.Add(grid)
	return p
}
