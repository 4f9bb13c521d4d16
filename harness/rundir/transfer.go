package rundir

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
)

// A shard of a distributed run sends its run directory to the merge step as
// one gzipped tar stream (see Pack and Unpack), so that shards on separate
// hosts need no shared volume: the merge step gets what `loadtest report`
// reads to rebuild every figure, and nothing else.

// TransferFiles are the files of a run directory that travel to a merge:
// the raw results and what a raw results file cannot carry. The reports
// are not sent, since the merge rebuilds them from these.
var TransferFiles = []string{SummaryFile, ResultsFile, EnvironmentFile, TargetMetricsFile}

// DefaultTransferLimit bounds what Unpack accepts from one shard: ten
// million raw results of a few hundred bytes each fit well inside it.
const DefaultTransferLimit int64 = 8 << 30

// ErrTransferExists is returned by Unpack when the destination already
// holds a run: a shard that reports twice never replaces what was stored.
var ErrTransferExists = errors.New("already received")

// Pack writes the TransferFiles present in the run directory dir to w as a
// gzipped tar stream. A run directory without results or summary is
// refused: a merge of it would count nothing and say so too late.
func Pack(ctx context.Context, dir string, w io.Writer) error {
	for _, need := range []string{SummaryFile, ResultsFile} {
		if _, err := os.Stat(filepath.Join(dir, need)); err != nil {
			return fmt.Errorf("pack %s: %w", dir, err)
		}
	}
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	for _, name := range TransferFiles {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("pack %s: %w", dir, err)
		}
		err := packFile(tw, filepath.Join(dir, name), name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("pack %s: %w", dir, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("pack %s: %w", dir, err)
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("pack %s: %w", dir, err)
	}
	return nil
}

func packFile(tw *tar.Writer, path, name string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", path)
	}
	hdr := &tar.Header{Name: name, Mode: 0o644, Size: st.Size(), ModTime: st.ModTime(), Typeflag: tar.TypeReg}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	// The size was taken before the copy: a file still growing would make
	// the tar entry lie, so copy exactly that many bytes.
	if _, err := io.CopyN(tw, f, st.Size()); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Unpack reads a stream written by Pack into the run directory final,
// which must not exist yet (ErrTransferExists). It accepts only regular
// files named in TransferFiles, each at most once, at most limit bytes in
// all, and needs a summary and results; anything else is an error that
// names the entry. It writes into a directory beside final and renames it
// into place only when the whole stream was read, so a cut upload leaves
// nothing at final.
func Unpack(r io.Reader, final string, limit int64) error {
	if _, err := os.Stat(final); err == nil {
		return fmt.Errorf("unpack into %s: %w", final, ErrTransferExists)
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return fmt.Errorf("unpack into %s: %w", final, err)
	}
	// A working directory of its own, so two streams for one destination
	// never write into each other; the rename lets one of them win.
	work, err := os.MkdirTemp(filepath.Dir(final), filepath.Base(final)+WorkingSuffix+"-")
	if err != nil {
		return fmt.Errorf("unpack into %s: %w", final, err)
	}
	if err := os.Chmod(work, 0o755); err != nil { // MkdirTemp's 0700 would hide the run from its readers
		os.RemoveAll(work)
		return fmt.Errorf("unpack into %s: %w", final, err)
	}
	if err := unpackInto(r, work, limit); err != nil {
		os.RemoveAll(work)
		return fmt.Errorf("unpack into %s: %w", final, err)
	}
	if err := os.Rename(work, final); err != nil {
		os.RemoveAll(work)
		if _, serr := os.Stat(final); serr == nil {
			err = ErrTransferExists // another stream for final won the race
		}
		return fmt.Errorf("unpack into %s: %w", final, err)
	}
	return nil
}

func unpackInto(r io.Reader, dir string, limit int64) error {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return fmt.Errorf("not a gzip stream: %w", err)
	}
	tr := tar.NewReader(zr)
	seen := map[string]bool{}
	left := limit
	for entry := 1; ; entry++ {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("entry %d: %w", entry, err)
		}
		switch {
		case hdr.Typeflag != tar.TypeReg:
			return fmt.Errorf("entry %d (%q): not a regular file", entry, hdr.Name)
		case !slices.Contains(TransferFiles, hdr.Name):
			return fmt.Errorf("entry %d (%q): not a file of a run directory (want one of %v)", entry, hdr.Name, TransferFiles)
		case seen[hdr.Name]:
			return fmt.Errorf("entry %d (%q): sent twice", entry, hdr.Name)
		case hdr.Size < 0 || hdr.Size > left:
			return fmt.Errorf("entry %d (%q): %d bytes, over the limit of %d bytes in all", entry, hdr.Name, hdr.Size, limit)
		}
		seen[hdr.Name] = true
		left -= hdr.Size
		if err := writeEntry(filepath.Join(dir, hdr.Name), tr, hdr.Size); err != nil {
			return fmt.Errorf("entry %d (%q): %w", entry, hdr.Name, err)
		}
	}
	// The gzip trailer carries a checksum of everything: read to its end so
	// a corrupted stream is refused rather than stored.
	if _, err := io.Copy(io.Discard, zr); err != nil {
		return fmt.Errorf("after the last entry: %w", err)
	}
	for _, need := range []string{SummaryFile, ResultsFile} {
		if !seen[need] {
			return fmt.Errorf("no %s in the stream", need)
		}
	}
	return nil
}

func writeEntry(path string, r io.Reader, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && n != size {
		err = fmt.Errorf("cut after %d of %d bytes", n, size)
	}
	return err
}
