package promout

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/prometheus/prompb"
)

// writeRequest turns gathered metric families into one remote-write v1
// request: one sample per series, every one stamped at, with the series a
// scrape of the same families would make (a histogram's _bucket with le,
// _sum and _count; a summary's quantiles, _sum and _count), labels sorted
// by name and empty ones left out, as a scrape leaves them out. It returns
// the request and its number of samples.
func writeRequest(families []*dto.MetricFamily, at time.Time) (*prompb.WriteRequest, int) {
	ts := at.UnixMilli()
	req := &prompb.WriteRequest{}
	add := func(name string, m *dto.Metric, v float64, extra ...string) {
		labels := make([]prompb.Label, 0, len(m.GetLabel())+1+len(extra)/2)
		labels = append(labels, prompb.Label{Name: "__name__", Value: name})
		for _, l := range m.GetLabel() {
			if l.GetValue() != "" {
				labels = append(labels, prompb.Label{Name: l.GetName(), Value: l.GetValue()})
			}
		}
		for i := 0; i+1 < len(extra); i += 2 {
			labels = append(labels, prompb.Label{Name: extra[i], Value: extra[i+1]})
		}
		slices.SortFunc(labels, func(a, b prompb.Label) int { return strings.Compare(a.Name, b.Name) })
		req.Timeseries = append(req.Timeseries, prompb.TimeSeries{
			Labels:  labels,
			Samples: []prompb.Sample{{Value: v, Timestamp: ts}},
		})
	}
	for _, f := range families {
		name := f.GetName()
		req.Metadata = append(req.Metadata, prompb.MetricMetadata{
			Type: metadataType(f.GetType()), MetricFamilyName: name, Help: f.GetHelp(),
		})
		for _, m := range f.GetMetric() {
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				add(name, m, m.GetCounter().GetValue())
			case dto.MetricType_GAUGE:
				add(name, m, m.GetGauge().GetValue())
			case dto.MetricType_HISTOGRAM, dto.MetricType_GAUGE_HISTOGRAM:
				h := m.GetHistogram()
				inf := false
				for _, b := range h.GetBucket() {
					inf = inf || math.IsInf(b.GetUpperBound(), +1)
					add(name+"_bucket", m, float64(b.GetCumulativeCount()), "le", formatBound(b.GetUpperBound()))
				}
				if !inf {
					add(name+"_bucket", m, float64(h.GetSampleCount()), "le", "+Inf")
				}
				add(name+"_sum", m, h.GetSampleSum())
				add(name+"_count", m, float64(h.GetSampleCount()))
			case dto.MetricType_SUMMARY:
				s := m.GetSummary()
				for _, q := range s.GetQuantile() {
					add(name, m, q.GetValue(), "quantile", formatBound(q.GetQuantile()))
				}
				add(name+"_sum", m, s.GetSampleSum())
				add(name+"_count", m, float64(s.GetSampleCount()))
			default:
				add(name, m, m.GetUntyped().GetValue())
			}
		}
	}
	return req, len(req.Timeseries)
}

// formatBound writes a bucket bound or a quantile as the text exposition
// format does, so that a scraped and a remote-written series are the same
// series: "0.005", "1", "+Inf".
func formatBound(f float64) string {
	if math.IsInf(f, +1) {
		return "+Inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func metadataType(t dto.MetricType) prompb.MetricMetadata_MetricType {
	switch t {
	case dto.MetricType_COUNTER:
		return prompb.MetricMetadata_COUNTER
	case dto.MetricType_GAUGE:
		return prompb.MetricMetadata_GAUGE
	case dto.MetricType_HISTOGRAM:
		return prompb.MetricMetadata_HISTOGRAM
	case dto.MetricType_GAUGE_HISTOGRAM:
		return prompb.MetricMetadata_GAUGEHISTOGRAM
	case dto.MetricType_SUMMARY:
		return prompb.MetricMetadata_SUMMARY
	default:
		return prompb.MetricMetadata_UNKNOWN
	}
}
