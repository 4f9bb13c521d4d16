package dataset

import (
	"bytes"
	"sync"
	"testing"
)

// TestConcurrentReaders backs the promise that a DataSet may be read from
// many goroutines: run with -race, it fails if any reader writes to it.
func TestConcurrentReaders(t *testing.T) {
	d, err := Parse(bytes.NewReader(MustGenerate(t, datagenSpec(2))), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := d.Checksum()
	var wg sync.WaitGroup
	sums := make([]string, 4)
	for i := range sums {
		wg.Go(func() {
			for r := range d.Rows() {
				_ = d.Text(r, 1)
				_ = d.Number(r, d.Columns()-1)
			}
			if _, err := d.MarshalBinary(); err != nil {
				t.Error(err)
			}
			sums[i] = d.Checksum()
		})
	}
	wg.Wait()
	for i, got := range sums {
		if got != want {
			t.Fatalf("reader %d saw checksum %s, want %s", i, got, want)
		}
	}
}
