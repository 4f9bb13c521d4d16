package promout

import (
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/prometheus/prompb"
)

// A remote-written histogram is the series a scrape of it makes: one
// _bucket per bound with le written as the text format writes it, +Inf
// added, _sum and _count; labels sorted, empty ones left out.
func TestWriteRequestMakesTheSeriesAScrapeMakes(t *testing.T) {
	reg := prometheus.NewRegistry()
	desc := prometheus.NewDesc("x_seconds", "h", []string{"step", "b"}, prometheus.Labels{"a": "1"})
	reg.MustRegister(collectorFunc(func(ch chan<- prometheus.Metric) {
		ch <- prometheus.MustNewConstHistogram(desc, 5, 1.5, map[float64]uint64{0.005: 1, 1: 4}, "", "2")
	}))
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	at := time.UnixMilli(1_700_000_000_123)
	req, n := writeRequest(families, at)
	if n != len(req.Timeseries) || n != 5 {
		t.Fatalf("%d samples in %d series, want 5 in 5", n, len(req.Timeseries))
	}
	labels := func(name string, extra ...string) []prompb.Label {
		l := []prompb.Label{{Name: "__name__", Value: name}, {Name: "a", Value: "1"}, {Name: "b", Value: "2"}}
		if len(extra) == 2 {
			l = append(l, prompb.Label{Name: extra[0], Value: extra[1]})
		}
		return l
	}
	want := []prompb.TimeSeries{
		{Labels: labels("x_seconds_bucket", "le", "0.005"), Samples: []prompb.Sample{{Value: 1, Timestamp: at.UnixMilli()}}},
		{Labels: labels("x_seconds_bucket", "le", "1"), Samples: []prompb.Sample{{Value: 4, Timestamp: at.UnixMilli()}}},
		{Labels: labels("x_seconds_bucket", "le", "+Inf"), Samples: []prompb.Sample{{Value: 5, Timestamp: at.UnixMilli()}}},
		{Labels: labels("x_seconds_sum"), Samples: []prompb.Sample{{Value: 1.5, Timestamp: at.UnixMilli()}}},
		{Labels: labels("x_seconds_count"), Samples: []prompb.Sample{{Value: 5, Timestamp: at.UnixMilli()}}},
	}
	if !reflect.DeepEqual(req.Timeseries, want) {
		t.Errorf("series:\n got %v\nwant %v", req.Timeseries, want)
	}
	if len(req.Metadata) != 1 || req.Metadata[0].Type != prompb.MetricMetadata_HISTOGRAM || req.Metadata[0].MetricFamilyName != "x_seconds" {
		t.Errorf("metadata %v, want one histogram x_seconds", req.Metadata)
	}
}

func TestFormatBound(t *testing.T) {
	for _, tc := range []struct {
		in   float64
		want string
	}{{0.001, "0.001"}, {0.0025, "0.0025"}, {1, "1"}, {10, "10"}, {math.Inf(+1), "+Inf"}} {
		if got := formatBound(tc.in); got != tc.want {
			t.Errorf("formatBound(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// collectorFunc is a collector of whatever fn sends, unchecked.
type collectorFunc func(ch chan<- prometheus.Metric)

func (f collectorFunc) Describe(chan<- *prometheus.Desc)    {}
func (f collectorFunc) Collect(ch chan<- prometheus.Metric) { f(ch) }
