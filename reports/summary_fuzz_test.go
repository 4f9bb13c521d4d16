package reports_test

import (
	"bytes"
	"testing"

	"loadharness/reports"
)

// FuzzReadSummaryJSON checks that ReadSummaryJSON never panics and that
// whatever it accepts writes back and reads again to the same bytes.
func FuzzReadSummaryJSON(f *testing.F) {
	// A small summary with every field rather than the golden file: large
	// inputs make each run and every minimisation slow.
	f.Add([]byte(`{"verdict":"fail","suite":"s","provider":"process","started":"2025-07-29T12:00:00Z",` +
		`"finished":"2025-07-29T12:00:12Z","invalid_reasons":["r"],"warnings":["w"],` +
		`"stack":{"instances":3,"workers":4,"threads":8,"session_store":"redis","dataset_store":"redis","request_timeout":5000000000},` +
		`"events":[{"at":"2025-07-29T12:00:06Z","kind":"kill","target":"instance-1","detail":"d"}],` +
		`"gates":[{"scenario":"b","gate":"p95 < 2s","measured":2500.5,"unit":"ms","threshold":2000,"pass":false,"margin":-500.5,"missing":true,"display":"x"}],` +
		`"scenarios":[{"name":"b","asked_rps":62.5,"requests":600,"failed":5,"success_ratio":0.99,"throughput_rps":60.1,` +
		`"latency_ms":{"p50":66,"p90":376,"p95":403,"p99":2500,"max":2508,"mean":189.7},"raw_latency_ms":{"p50":58},` +
		`"sessions_checked":10,"sessions_lost":2,"checks_failed":20,"codes":{"0":1,"200":595},"errors":{"503 Service Unavailable":4},` +
		`"steps":[{"name":"map","requests":300,"codes":{},"errors":null}]}]}`))
	for _, seed := range []string{
		`{}`, `{"verdict":"pass"}`, `{"verdict":"invalid","invalid_reasons":["generator fell behind"]}`,
		`{"started":"2025-07-29T12:00:00.100+02:00","events":[{"at":"2025-07-29T12:00:06Z","kind":"kill"}]}`,
		`{"gates":[{"scenario":"browse","gate":"p95 < 2s","measured":734,"pass":true,"margin":1266}]}`,
		`{"scenarios":[{"name":"b","latency_ms":{"p50":-0},"codes":{"200":3},"steps":null}]}`,
		`{"verdict":"maybe"}`, `[]`, `null`, `{"stack":{"request_timeout":1.5}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := reports.ReadSummaryJSON(bytes.NewReader(data))
		if err != nil {
			return
		}
		var first bytes.Buffer
		if err := reports.WriteSummaryJSON(&first, s); err != nil {
			t.Fatalf("a summary that was read cannot be written: %v", err)
		}
		again, err := reports.ReadSummaryJSON(bytes.NewReader(first.Bytes()))
		if err != nil {
			t.Fatalf("a written summary cannot be read: %v\n%s", err, first.Bytes())
		}
		var second bytes.Buffer
		if err := reports.WriteSummaryJSON(&second, again); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first.Bytes(), second.Bytes()) {
			t.Fatalf("summary changes on a second round trip:\n%s\nthen\n%s", first.Bytes(), second.Bytes())
		}
	})
}
