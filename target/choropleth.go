package target

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
)

// choropleth is one map: a value per ward, drawn as a hexagon coloured by its
// quantile class.
type choropleth struct {
	Title string
	// Keys name the wards; Values are theirs, NaN where missing.
	Keys   []string
	Values []float64
}

// ramp is ColorBrewer's YlOrRd, light (low) to dark (high).
var ramp = [...]string{"#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#fc4e2a", "#e31a1c", "#b10026"}

const (
	noDataColour = "#cccccc"
	hexRadius    = 10.0
	mapMargin    = 20.0
	titleHeight  = 30.0
	legendWidth  = 190.0
)

// classCount picks 5 to 7 classes: more wards can carry finer classes.
func classCount(n int) int {
	switch {
	case n < 60:
		return 5
	case n < 120:
		return 6
	default:
		return len(ramp)
	}
}

// classify returns quantile breaks (upper bounds of all classes but the
// last, duplicates dropped) and each ward's class, -1 where missing. It is
// the map's CPU work that grows with rows: a sort and a binary search each.
func classify(values []float64) (breaks []float64, classes []int) {
	sorted := make([]float64, 0, len(values))
	for _, v := range values {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			sorted = append(sorted, v)
		}
	}
	slices.Sort(sorted)
	k := classCount(len(sorted))
	if len(sorted) > 0 {
		for i := 1; i < k; i++ {
			b := sorted[(i*len(sorted))/k]
			// A break at the minimum would leave the lowest class empty.
			if b > sorted[0] && (len(breaks) == 0 || b > breaks[len(breaks)-1]) {
				breaks = append(breaks, b)
			}
		}
	}
	classes = make([]int, len(values))
	for i, v := range values {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			classes[i] = -1
			continue
		}
		// A value equal to a break starts the class above it.
		classes[i] = sort.Search(len(breaks), func(j int) bool { return breaks[j] > v })
	}
	return breaks, classes
}

// colourOf spreads the n classes over the whole ramp.
func colourOf(class, n int) string {
	if class < 0 {
		return noDataColour
	}
	if n <= 1 {
		return ramp[len(ramp)/2]
	}
	return ramp[(class*(len(ramp)-1)+(n-1)/2)/(n-1)]
}

// layout orders wards by a hash of their key, so a ward keeps its place in
// every render of the same data set whatever the row order.
func layout(keys []string) []int {
	type ward struct {
		hash  uint64
		index int
	}
	wards := make([]ward, len(keys))
	for i, k := range keys {
		wards[i] = ward{fnv64a(k), i}
	}
	slices.SortFunc(wards, func(a, b ward) int {
		if a.hash != b.hash {
			if a.hash < b.hash {
				return -1
			}
			return 1
		}
		return a.index - b.index
	})
	order := make([]int, len(wards))
	for i, w := range wards {
		order[i] = w.index
	}
	return order
}

// hexCorners are the corner offsets of a pointy-top hexagon from its centre.
var hexCorners = func() (c [6][2]float64) {
	for i := range c {
		angle := math.Pi/6 + float64(i)*math.Pi/3
		c[i] = [2]float64{hexRadius * math.Cos(angle), hexRadius * math.Sin(angle)}
	}
	return c
}()

// fnv64a is FNV-1a, inlined to hash a string without a hasher allocation.
func fnv64a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// render writes the map as SVG to buf. cost repeats the classification, the
// knob that makes maps more expensive without changing the picture; ctx is
// checked between repeats so that a timed-out request stops burning CPU.
func (m choropleth) render(ctx context.Context, buf *bytes.Buffer, cost int) error {
	var (
		breaks  []float64
		classes []int
	)
	for i := 0; i < max(cost, 1); i++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("render map: %w", err)
		}
		breaks, classes = classify(m.Values)
	}
	nClasses := len(breaks) + 1

	n := len(m.Keys)
	cols := max(int(math.Ceil(math.Sqrt(float64(n)*1.2))), 1)
	rows := max((n+cols-1)/cols, 1)
	hexW := math.Sqrt(3) * hexRadius
	mapW := float64(cols)*hexW + hexW/2
	mapH := float64(rows)*1.5*hexRadius + hexRadius/2
	width := mapMargin*2 + mapW + legendWidth
	height := max(mapMargin*2+titleHeight+mapH, mapMargin*2+titleHeight+float64(nClasses+1)*20)

	fmt.Fprintf(buf, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f">`+"\n",
		width, height, width, height)
	buf.WriteString("<title>")
	escapeXML(buf, m.Title)
	buf.WriteString("</title>\n")
	fmt.Fprintf(buf, `<text x="%.0f" y="%.0f" font-family="sans-serif" font-size="16">`, mapMargin, mapMargin+12)
	escapeXML(buf, m.Title)
	buf.WriteString("</text>\n<g stroke=\"#ffffff\" stroke-width=\"1\">\n")

	top := mapMargin + titleHeight
	var num []byte
	for pos, i := range layout(m.Keys) {
		if pos%256 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("render map: %w", err)
			}
		}
		gx, gy := pos%cols, pos/cols
		cx := mapMargin + hexW/2 + float64(gx)*hexW
		if gy%2 == 1 {
			cx += hexW / 2
		}
		cy := top + hexRadius + float64(gy)*1.5*hexRadius
		buf.WriteString(`<polygon points="`)
		for corner, off := range hexCorners {
			num = strconv.AppendFloat(num[:0], cx+off[0], 'f', 1, 64)
			buf.Write(num)
			buf.WriteByte(',')
			num = strconv.AppendFloat(num[:0], cy+off[1], 'f', 1, 64)
			buf.Write(num)
			if corner < len(hexCorners)-1 {
				buf.WriteByte(' ')
			}
		}
		buf.WriteString(`" fill="`)
		buf.WriteString(colourOf(classes[i], nClasses))
		buf.WriteString(`"><title>`)
		escapeXML(buf, m.Keys[i])
		buf.WriteString(": ")
		buf.WriteString(formatValue(m.Values[i]))
		buf.WriteString("</title></polygon>\n")
	}
	buf.WriteString("</g>\n")
	m.legend(buf, mapMargin*1.5+mapW, top, breaks)
	buf.WriteString("</svg>\n")
	return nil
}

// legend draws one swatch per class with its value range, then "no data".
func (m choropleth) legend(buf *bytes.Buffer, x, y float64, breaks []float64) {
	n := len(breaks) + 1
	buf.WriteString(`<g font-family="sans-serif" font-size="12">` + "\n")
	for c := range n {
		label := "all values"
		switch {
		case n == 1:
		case c == 0:
			label = "< " + formatValue(breaks[0])
		case c == n-1:
			label = "≥ " + formatValue(breaks[n-2])
		default:
			label = formatValue(breaks[c-1]) + " – " + formatValue(breaks[c])
		}
		row := y + float64(c)*20
		fmt.Fprintf(buf, `<rect x="%.1f" y="%.1f" width="14" height="14" fill="%s"/><text x="%.1f" y="%.1f">`,
			x, row, colourOf(c, n), x+20, row+11)
		escapeXML(buf, label)
		buf.WriteString("</text>\n")
	}
	row := y + float64(n)*20
	fmt.Fprintf(buf, `<rect x="%.1f" y="%.1f" width="14" height="14" fill="%s"/><text x="%.1f" y="%.1f">no data</text>`+"\n",
		x, row, noDataColour, x+20, row+11)
	buf.WriteString("</g>\n")
}

func formatValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "no data"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// escapeXML writes s as XML character data: ward names come from uploads and
// may hold markup or bytes XML does not allow.
func escapeXML(buf *bytes.Buffer, s string) {
	_ = xml.EscapeText(buf, []byte(s))
}
