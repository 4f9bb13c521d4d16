package target

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// fileDatasets writes each data set to a file on this instance's disk: the
// plan's option B. Workers of one instance share it; other instances do not.
type fileDatasets struct {
	dir string
	m   *metrics
}

var _ datasetStore = (*fileDatasets)(nil)

func newFileDatasets(dir string, m *metrics) (*fileDatasets, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	return &fileDatasets{dir: dir, m: m}, nil
}

// path builds the file name only from an id that passed validDatasetID, so
// no session content can reach outside dir.
func (s *fileDatasets) path(id string) (string, bool) {
	if !validDatasetID(id) {
		return "", false
	}
	return filepath.Join(s.dir, id+".ds"), true
}

// Put writes b to a temporary file and renames it, so that a concurrent
// reader in another worker never sees half a data set.
func (s *fileDatasets) Put(_ context.Context, id string, b []byte) error {
	p, ok := s.path(id)
	if !ok {
		s.m.datasetOps.WithLabelValues("put", resultError).Inc()
		return fmt.Errorf("put: bad data set id %q", id)
	}
	if err := writeFileAtomic(p, b); err != nil {
		s.m.datasetOps.WithLabelValues("put", resultError).Inc()
		return fmt.Errorf("put %s: %w", id, err)
	}
	s.m.datasetOps.WithLabelValues("put", resultOK).Inc()
	return nil
}

// Get reads the data set id from disk.
func (s *fileDatasets) Get(_ context.Context, id string) ([]byte, error) {
	p, ok := s.path(id)
	if !ok {
		s.m.datasetOps.WithLabelValues("get", resultMissing).Inc()
		return nil, errDatasetMissing
	}
	b, err := os.ReadFile(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.m.datasetOps.WithLabelValues("get", resultMissing).Inc()
		return nil, errDatasetMissing
	case err != nil:
		s.m.datasetOps.WithLabelValues("get", resultError).Inc()
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	s.m.datasetOps.WithLabelValues("get", resultOK).Inc()
	return b, nil
}

// Delete removes the data set id from disk.
func (s *fileDatasets) Delete(_ context.Context, id string) error {
	p, ok := s.path(id)
	if !ok {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.m.datasetOps.WithLabelValues("delete", resultError).Inc()
		return fmt.Errorf("delete %s: %w", id, err)
	}
	s.m.datasetOps.WithLabelValues("delete", resultOK).Inc()
	return nil
}

func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".upload-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return nil
}
