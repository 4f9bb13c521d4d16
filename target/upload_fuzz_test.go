package target

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FuzzUpload posts arbitrary file contents and raw bodies to /upload: the
// answer is always 201 or a client error with a JSON message, never a 5xx
// or a panic.
func FuzzUpload(f *testing.F) {
	f.Add([]byte("ward,tpr\nA,1\nB,2\n"), false)
	f.Add([]byte("ward,tpr\nA,1\nB,\"2\nC,3\n"), false)
	f.Add([]byte("\xef\xbb\xbfward;tpr\r\nA;1,5\r\n"), false)
	f.Add([]byte("--x\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nward,v\nA,1\r\n--x--\r\n"), true)
	f.Add([]byte(""), true)
	cfg := memoryConfig(f)
	cfg.Logf = func(string, ...any) {}
	cfg.Limits.MaxBytes = 64 << 10
	s, err := NewServer(f.Context(), cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	h := s.Handler()
	f.Fuzz(func(t *testing.T, content []byte, raw bool) {
		body, ctype := content, "multipart/form-data; boundary=x"
		if !raw {
			body, ctype = multipartFile(t, "file", content)
		}
		req := httptest.NewRequest(http.MethodPost, "/upload", bytes.NewReader(body))
		req.Header.Set("Content-Type", ctype)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusCreated:
			var got datasetReply
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || !validDatasetID(got.ID) || got.Rows < 1 {
				t.Fatalf("201 with body %q", rec.Body)
			}
		case rec.Code >= 400 && rec.Code < 500:
			var got map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got["error"] == "" {
				t.Fatalf("%d with body %q", rec.Code, rec.Body)
			}
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	})
}
