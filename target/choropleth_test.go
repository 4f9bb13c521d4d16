package target

import (
	"bytes"
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
)

func TestClassify(t *testing.T) {
	nan := math.NaN()
	seq := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(i)
		}
		return v
	}
	cases := []struct {
		name        string
		values      []float64
		wantBreaks  []float64
		wantClasses []int // nil: only check invariants
	}{
		{"ten values, five classes", seq(10), []float64{2, 4, 6, 8}, []int{0, 0, 1, 1, 2, 2, 3, 3, 4, 4}},
		{"missing values get -1", []float64{1, nan, 3, math.Inf(1)}, []float64{3}, []int{0, -1, 1, -1}},
		{"all equal: one class", []float64{5, 5, 5, 5, 5, 5}, []float64{}, []int{0, 0, 0, 0, 0, 0}},
		{"nothing numeric", []float64{nan, nan}, nil, []int{-1, -1}},
		{"seven classes from 200 values", seq(200), []float64{28, 57, 85, 114, 142, 171}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			breaks, classes := classify(tc.values)
			if tc.wantBreaks != nil && !slices.Equal(breaks, tc.wantBreaks) && len(breaks)+len(tc.wantBreaks) > 0 {
				t.Errorf("breaks %v, want %v", breaks, tc.wantBreaks)
			}
			if tc.wantClasses != nil && !slices.Equal(classes, tc.wantClasses) {
				t.Errorf("classes %v, want %v", classes, tc.wantClasses)
			}
			if !slices.IsSorted(breaks) || len(breaks) > len(ramp)-1 {
				t.Errorf("breaks %v: want ascending, at most %d", breaks, len(ramp)-1)
			}
			// Classes never decrease as values grow.
			for i := range tc.values {
				for j := range tc.values {
					if classes[i] >= 0 && classes[j] >= 0 && tc.values[i] < tc.values[j] && classes[i] > classes[j] {
						t.Fatalf("value %v in class %d above %v in class %d", tc.values[i], classes[i], tc.values[j], classes[j])
					}
				}
			}
		})
	}
}

func TestColourOfSpansTheRamp(t *testing.T) {
	for n := 1; n <= len(ramp); n++ {
		if n > 1 {
			if got, want := colourOf(0, n), ramp[0]; got != want {
				t.Errorf("n=%d: lowest class %s, want %s", n, got, want)
			}
			if got, want := colourOf(n-1, n), ramp[len(ramp)-1]; got != want {
				t.Errorf("n=%d: highest class %s, want %s", n, got, want)
			}
		}
	}
	if got, want := colourOf(-1, 5), noDataColour; got != want {
		t.Errorf("missing: %s, want %s", got, want)
	}
}

func TestLayoutFollowsKeysNotRowOrder(t *testing.T) {
	keys := []string{"ward-a", "ward-b", "ward-c", "ward-d", "ward-e"}
	reversed := slices.Clone(keys)
	slices.Reverse(reversed)
	place := func(keys []string) []string {
		var placed []string
		for _, i := range layout(keys) {
			placed = append(placed, keys[i])
		}
		return placed
	}
	if got, want := place(reversed), place(keys); !slices.Equal(got, want) {
		t.Errorf("placement depends on row order: %v vs %v", got, want)
	}
}

func TestRenderEscapesText(t *testing.T) {
	m := choropleth{
		Title:  `rate <b>&"quoted"`,
		Keys:   []string{`<script>alert("x")</script>`, "A & B", "ctrl\x01char", "plain"},
		Values: []float64{1, 2, math.NaN(), 4},
	}
	var buf bytes.Buffer
	if err := m.render(context.Background(), &buf, 1); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	assertWellFormedXML(t, buf.Bytes())
	for _, raw := range []string{"<script>", "<b>", "A & B", "\x01"} {
		if strings.Contains(out, raw) {
			t.Errorf("SVG contains unescaped %q", raw)
		}
	}
	if got, want := strings.Count(out, "<polygon"), 4; got != want {
		t.Errorf("%d wards, want %d", got, want)
	}
	if !strings.Contains(out, `fill="`+noDataColour+`"`) {
		t.Error("the ward without a value is not drawn as no data")
	}
}

func TestRenderStopsWhenContextEnds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	m := choropleth{Keys: []string{"a"}, Values: []float64{1}}
	var buf bytes.Buffer
	if err := m.render(ctx, &buf, 1000); !errors.Is(err, context.Canceled) {
		t.Errorf("render: %v, want context.Canceled", err)
	}
}

// FuzzChoropleth checks that any ward names and values make well-formed SVG.
func FuzzChoropleth(f *testing.F) {
	f.Add("title", "a\x00b<c>&d\"e'f", 1.5, -2.0)
	f.Add(`<&">`, "\xff\xfe", math.NaN(), math.Inf(-1))
	f.Add("", "", 0.0, 0.0)
	f.Fuzz(func(t *testing.T, title, names string, v1, v2 float64) {
		keys := strings.Split(names, "\x00")
		values := make([]float64, len(keys))
		for i := range values {
			values[i] = v1 + float64(i)*v2
		}
		m := choropleth{Title: title, Keys: keys, Values: values}
		var buf bytes.Buffer
		if err := m.render(context.Background(), &buf, 1); err != nil {
			t.Fatal(err)
		}
		assertWellFormedXML(t, buf.Bytes())
		if got, want := bytes.Count(buf.Bytes(), []byte("<polygon")), len(keys); got != want {
			t.Fatalf("%d wards drawn, want %d", got, want)
		}
	})
}
