package rundir

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// tarEntry is one entry of a hand-made transfer stream.
type tarEntry struct {
	name string
	body string
	kind byte // tar.TypeReg unless set
	size int64
}

// stream gzips a tar of entries, as a shard (or a hostile client) would
// send it.
func stream(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		kind := e.kind
		if kind == 0 {
			kind = tar.TypeReg
		}
		hdr := &tar.Header{Name: e.name, Mode: 0o644, Typeflag: kind, Size: int64(len(e.body))}
		if kind != tar.TypeReg {
			hdr.Size, hdr.Linkname = 0, "/etc/passwd"
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if kind == tar.TypeReg {
			if _, err := tw.Write([]byte(e.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	files := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = string(b)
	}
	return files
}

func TestPackUnpackCarriesTheRunAndNothingElse(t *testing.T) {
	src := t.TempDir()
	want := map[string]string{
		SummaryFile:       `{"suite":"s"}`,
		ResultsFile:       "{\"code\":200}\n{\"code\":500}\n",
		EnvironmentFile:   `{"cores":2}`,
		TargetMetricsFile: `[]`,
	}
	for name, body := range want {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Reports, charts and stack logs are rebuilt or stay with the shard.
	for _, extra := range []string{ReportHTMLFile, JUnitFile} {
		os.WriteFile(filepath.Join(src, extra), []byte("x"), 0o644)
	}
	os.MkdirAll(filepath.Join(src, StackDir), 0o755)
	os.WriteFile(filepath.Join(src, StackDir, "target.log"), []byte("log"), 0o644)

	var buf bytes.Buffer
	if err := Pack(context.Background(), src, &buf); err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "collected", "shard-0")
	if err := Unpack(&buf, dst, DefaultTransferLimit); err != nil {
		t.Fatal(err)
	}
	if got := readDir(t, dst); !reflect.DeepEqual(got, want) {
		t.Errorf("unpacked %v, want %v", got, want)
	}
	siblings, _ := os.ReadDir(filepath.Dir(dst))
	if len(siblings) != 1 {
		t.Errorf("beside the run: %v, want only shard-0 (no working directory left)", siblings)
	}
}

func TestPackRefusesARunWithoutResults(t *testing.T) {
	src := t.TempDir()
	os.WriteFile(filepath.Join(src, SummaryFile), []byte(`{}`), 0o644)
	err := Pack(context.Background(), src, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), ResultsFile) {
		t.Fatalf("Pack of a run without %s: %v, want an error naming it", ResultsFile, err)
	}
}

func TestUnpackRefusesWhatIsNotARun(t *testing.T) {
	ok := []tarEntry{{name: SummaryFile, body: "{}"}, {name: ResultsFile, body: "\n"}}
	good := stream(t, ok...)
	cases := []struct {
		name  string
		data  []byte
		limit int64
		want  string
	}{
		{"escape upwards", stream(t, append(ok, tarEntry{name: "../evil", body: "x"})...), DefaultTransferLimit, `("../evil"): not a file of a run directory`},
		{"absolute path", stream(t, append(ok, tarEntry{name: "/tmp/evil", body: "x"})...), DefaultTransferLimit, `("/tmp/evil"): not a file`},
		{"nested name", stream(t, append(ok, tarEntry{name: "stack/" + ResultsFile, body: "x"})...), DefaultTransferLimit, "not a file of a run directory"},
		{"symlink", stream(t, append(ok, tarEntry{name: EnvironmentFile, kind: tar.TypeSymlink})...), DefaultTransferLimit, "not a regular file"},
		{"twice", stream(t, append(ok, tarEntry{name: SummaryFile, body: "{}"})...), DefaultTransferLimit, "sent twice"},
		{"over the limit", good, 2, "over the limit of 2 bytes"},
		{"no results", stream(t, ok[0]), DefaultTransferLimit, "no " + ResultsFile},
		{"no summary", stream(t, ok[1]), DefaultTransferLimit, "no " + SummaryFile},
		{"not gzip", []byte("PUT me"), DefaultTransferLimit, "not a gzip stream"},
		{"cut", good[:len(good)-12], DefaultTransferLimit, "unexpected EOF"},
		{"corrupted", corrupt(good), DefaultTransferLimit, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dst := filepath.Join(parent, "shard-1")
			err := Unpack(bytes.NewReader(tc.data), dst, tc.limit)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Unpack: %v, want an error containing %q", err, tc.want)
			}
			if left, _ := os.ReadDir(parent); len(left) != 0 {
				t.Errorf("a refused stream left %v behind", left)
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(parent), "evil")); err == nil {
				t.Error("a file escaped the destination")
			}
		})
	}
}

// corrupt flips a byte inside the compressed data, past the gzip header.
func corrupt(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)/2] ^= 0xff
	return c
}

func TestUnpackNeverReplacesAReceivedRun(t *testing.T) {
	dst := filepath.Join(t.TempDir(), "shard-2")
	first := stream(t, tarEntry{name: SummaryFile, body: `{"n":1}`}, tarEntry{name: ResultsFile, body: "first\n"})
	second := stream(t, tarEntry{name: SummaryFile, body: `{"n":2}`}, tarEntry{name: ResultsFile, body: "second\n"})
	if err := Unpack(bytes.NewReader(first), dst, DefaultTransferLimit); err != nil {
		t.Fatal(err)
	}
	err := Unpack(bytes.NewReader(second), dst, DefaultTransferLimit)
	if !errors.Is(err, ErrTransferExists) {
		t.Fatalf("second Unpack: %v, want ErrTransferExists", err)
	}
	if got := readDir(t, dst)[ResultsFile]; got != "first\n" {
		t.Errorf("results after a second stream: %q, want the first run's", got)
	}
}

// FuzzUnpack feeds arbitrary streams to Unpack: it must never panic, never
// write outside its destination, and leave either a complete run or
// nothing.
func FuzzUnpack(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("\x1f\x8b"))
	tb := &testing.T{}
	for _, seed := range [][]tarEntry{
		{{name: SummaryFile, body: "{}"}, {name: ResultsFile, body: "\n"}},
		{{name: "../x", body: "x"}},
		{{name: SummaryFile, body: "{}"}, {name: EnvironmentFile, kind: tar.TypeLink}},
	} {
		f.Add(stream(tb, seed...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dst := filepath.Join(parent, "in", "shard-0")
		err := Unpack(bytes.NewReader(data), dst, 1<<20)
		entries, rerr := os.ReadDir(filepath.Dir(dst))
		if rerr != nil {
			t.Fatal(rerr)
		}
		if err != nil {
			if len(entries) != 0 {
				t.Fatalf("refused (%v) but left %v", err, entries)
			}
			return
		}
		if len(entries) != 1 || entries[0].Name() != "shard-0" {
			t.Fatalf("accepted, beside the run: %v", entries)
		}
		files := readDir(t, dst)
		if _, ok := files[SummaryFile]; !ok {
			t.Fatalf("accepted without %s: %v", SummaryFile, files)
		}
		if top, _ := os.ReadDir(parent); len(top) != 1 {
			t.Fatalf("wrote outside its destination: %v", top)
		}
	})
}
