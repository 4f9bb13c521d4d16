package target

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"loadharness/target/dataset"
)

// BenchmarkMap renders the choropleth of a 500-ward data set, as /map does
// after loading it.
func BenchmarkMap(b *testing.B) {
	ds, err := dataset.Parse(bytes.NewReader(mustCSV(b, 500, 1)), dataset.DefaultLimits)
	if err != nil {
		b.Fatal(err)
	}
	col := ds.NumericColumns()[0]
	m := choropleth{Title: ds.Header[col], Keys: make([]string, ds.Rows()), Values: make([]float64, ds.Rows())}
	for r := range ds.Rows() {
		m.Keys[r], m.Values[r] = ds.Key(r), ds.Number(r, col)
	}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := m.render(context.Background(), &buf, DefaultMapCost); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// BenchmarkUploadParseStore sends a 500-row upload through the whole
// in-process handler: session, multipart, parse, encode, store.
func BenchmarkUploadParseStore(b *testing.B) {
	cfg := memoryConfig(b)
	cfg.Logf = func(string, ...any) {}
	cfg.MaxSessionBytes = 8 << 20
	s, err := NewServer(b.Context(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	h := s.Handler()
	body, ctype := multipartFile(b, "file", mustCSV(b, 500, 1))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/upload", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}
