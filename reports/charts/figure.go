package charts

import (
	"image/color"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// figure is a chart before rendering: a title and a legend drawn above the
// data, then one or more panels stacked on a shared time axis.
type figure struct {
	name, title, caption string
	legend               []legendItem
	panels               []*plot.Plot
	// panelHeight overrides the house panel height when set.
	panelHeight vg.Length
	// shaded says setup or warm-up is shaded on the panels.
	shaded bool
}

// legendItem is one entry of a figure's legend.
type legendItem struct {
	label string
	line  draw.LineStyle
	// fill, when set, shows the entry as a filled square (an area).
	fill color.Color
}

// legendLayout places the legend entries in rows that fit the width.
type legendLayout struct {
	rows   [][]legendItem
	widths [][]vg.Length
}

const (
	legendThumb  = vg.Length(22)
	legendGap    = vg.Length(14)
	legendRowGap = vg.Length(4)
)

func layoutLegend(items []legendItem, width vg.Length) legendLayout {
	sty := textStyle(legendFont)
	var l legendLayout
	var x vg.Length
	for _, it := range items {
		w := legendThumb + 4 + sty.Width(it.label) + legendGap
		if len(l.rows) == 0 || x+w > width {
			l.rows = append(l.rows, nil)
			l.widths = append(l.widths, nil)
			x = 0
		}
		last := len(l.rows) - 1
		l.rows[last] = append(l.rows[last], it)
		l.widths[last] = append(l.widths[last], w)
		x += w
	}
	return l
}

func (l legendLayout) height() vg.Length {
	if len(l.rows) == 0 {
		return 0
	}
	rowH := textStyle(legendFont).Height("Mg")
	return vg.Length(len(l.rows))*(rowH+legendRowGap) + legendRowGap
}

func (f *figure) headerHeight(legend legendLayout) vg.Length {
	return chartPad + textStyle(titleFont).Height(f.title) + 6 + legend.height()
}

func (f *figure) height() vg.Length {
	ph := f.panelHeight
	if ph == 0 {
		ph = panelHeight
	}
	legend := layoutLegend(f.legend, chartWidth-2*chartPad)
	return f.headerHeight(legend) + vg.Length(len(f.panels))*ph + chartPad
}

// draw paints the figure on c.
func (f *figure) draw(c draw.Canvas) {
	c.SetColor(color.White)
	c.Fill(c.Rectangle.Path())
	legend := layoutLegend(f.legend, c.Size().X-2*chartPad)

	title := textStyle(titleFont)
	title.YAlign = draw.YTop
	top := c.Max.Y - chartPad
	c.FillText(title, vg.Point{X: c.Min.X + chartPad, Y: top}, f.title)
	top -= title.Height(f.title) + 6

	sty := textStyle(legendFont)
	sty.YAlign = draw.YCenter
	rowH := sty.Height("Mg")
	for i, row := range legend.rows {
		y := top - legendRowGap - rowH/2 - vg.Length(i)*(rowH+legendRowGap)
		x := c.Min.X + chartPad
		for j, it := range row {
			if it.fill != nil {
				c.SetColor(it.fill)
				sq := vg.Rectangle{Min: vg.Point{X: x + 4, Y: y - rowH/2 + 1}, Max: vg.Point{X: x + legendThumb - 4, Y: y + rowH/2 - 1}}
				c.Fill(sq.Path())
			} else {
				c.StrokeLine2(it.line, x, y, x+legendThumb, y)
			}
			c.FillText(sty, vg.Point{X: x + legendThumb + 4, Y: y}, it.label)
			x += legend.widths[i][j]
		}
	}

	body := draw.Crop(c, chartPad, -chartPad, chartPad, -f.headerHeight(legend))
	if len(f.panels) == 1 {
		f.panels[0].Draw(body)
		return
	}
	rows := make([][]*plot.Plot, len(f.panels))
	for i, p := range f.panels {
		rows[i] = []*plot.Plot{p}
	}
	canvases := plot.Align(rows, draw.Tiles{Rows: len(rows), Cols: 1, PadY: vg.Points(10)}, body)
	for i, p := range f.panels {
		p.Draw(canvases[i][0])
	}
}

// chart wraps the figure for rendering.
func (f *figure) chart() Chart {
	caption := f.caption
	if f.shaded {
		caption += " Shaded: the scenario's setup and warm-up, which the gates do not judge and the lines leave out."
	}
	return Chart{Name: f.name, Title: f.title, Caption: caption, fig: f}
}
