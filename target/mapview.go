package target

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/labstack/echo/v4"

	"loadharness/target/dataset"
)

// mapView renders a choropleth of one numeric column: ?indicator=NAME, or the
// first numeric column.
func (s *Server) mapView(c echo.Context) error {
	ds, _, f := s.loadDataset(c)
	if f != nil {
		return f.write(c)
	}
	col, err := indicatorColumn(ds, c.QueryParam("indicator"))
	if err != nil {
		return writeError(c, http.StatusBadRequest, err.Error())
	}
	m := choropleth{
		Title:  ds.Header[col],
		Keys:   make([]string, ds.Rows()),
		Values: make([]float64, ds.Rows()),
	}
	for r := range ds.Rows() {
		m.Keys[r] = ds.Key(r)
		m.Values[r] = ds.Number(r, col)
	}
	var buf bytes.Buffer
	buf.Grow(256 + 160*ds.Rows())
	if err := m.render(c.Request().Context(), &buf, s.cfg.MapCost); err != nil {
		return writeError(c, http.StatusServiceUnavailable, errTimedOut)
	}
	return c.Blob(http.StatusOK, "image/svg+xml", buf.Bytes())
}

var errNoNumeric = errors.New("map: the data set has no numeric column")

// indicatorColumn resolves the indicator name to a numeric column.
func indicatorColumn(ds *dataset.DataSet, name string) (int, error) {
	numeric := ds.NumericColumns()
	if name == "" {
		if len(numeric) == 0 {
			return 0, errNoNumeric
		}
		return numeric[0], nil
	}
	col, ok := ds.Column(name)
	if !ok || !slices.Contains(numeric, col) {
		return 0, fmt.Errorf("map: no numeric column named %q", name)
	}
	return col, nil
}
